package launchertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/internal/testhost"
)

// host is a `launchpad serve` the kit configured from scratch.
type host struct {
	bin  string
	sock string
	proc *testhost.Host
	log  *testhost.Log
}

// startHost does what an administrator does: make a state folder, generate a
// publisher key, sign the launcher, trust the key, install and register the
// launcher, write a config, and start the host.
func startHost(t *testing.T, cfg *Config) *host {
	t.Helper()
	for _, p := range []string{cfg.LaunchpadBin, cfg.LauncherBin} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("launchertest: %v", err)
		}
	}
	dir := hostDirs(t)
	state, plugins := filepath.Join(dir, "s"), filepath.Join(dir, "plugins")
	installLauncher(t, cfg, dir)
	db := filepath.Join(state, "instance.db")
	if err := createInstance(cfg.LaunchpadBin, db); err != nil {
		t.Fatalf("create instance database: %v", err)
	}
	h := &host{bin: cfg.LaunchpadBin, sock: filepath.Join(state, "launchpad.sock")}
	conf := filepath.Join(dir, "launchpad.hcl")
	if err := os.WriteFile(conf, []byte(hostConfig(cfg, state, plugins, h.sock, db)), 0o600); err != nil {
		t.Fatal(err)
	}
	h.serve(t, conf)
	return h
}

// hostDirs makes the host's folder with its state, plugins and keys folders.
func hostDirs(t *testing.T) string {
	t.Helper()
	// Not under /tmp: every job gets a private /tmp that would hide the
	// folder, and the catalog wants root-owned folders up to /.
	// Short names: go-plugin's socket lands under STATE/jobs/ID/sock/ and a
	// unix socket path may not exceed 107 bytes.
	dir, err := os.MkdirTemp("/var/tmp", "lpc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if os.Getenv("LAUNCHPAD_CONFORMANCE_KEEP") == "" {
			os.RemoveAll(dir)
		}
	})
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{dir, 0o711}, {filepath.Join(dir, "s"), 0o700}, {filepath.Join(dir, "plugins"), 0o755}, {filepath.Join(dir, "keys"), 0o700}} {
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// installLauncher copies the launcher into dir/plugins, signs it with a new
// key, trusts the key and registers the launcher, through the admin CLI.
func installLauncher(t *testing.T, cfg *Config, dir string) {
	t.Helper()
	state, plugins, keys := filepath.Join(dir, "s"), filepath.Join(dir, "plugins"), filepath.Join(dir, "keys")
	plugin := filepath.Join(plugins, filepath.Base(cfg.LauncherBin))
	if err := copyFile(cfg.LauncherBin, plugin, 0o755); err != nil {
		t.Fatalf("install launcher: %v", err)
	}
	admin := func(args ...string) {
		t.Helper()
		cmd := exec.Command(cfg.LaunchpadBin, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("launchpad %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	key := filepath.Join(keys, "conformance")
	admin("key", "generate", "--out", key)
	sign := []string{"plugin", "sign", "--key", key + ".key", "--name", cfg.Name, "--version", cfg.Version}
	for _, l := range cfg.Languages {
		sign = append(sign, "--language", l)
	}
	admin(append(sign, plugin)...)
	admin("trust", "add", key+".pub", "--name", "conformance", "--state", state, "--plugin-dir", plugins)
	admin("plugin", "register", plugin, "--state", state, "--plugin-dir", plugins)
}

// hostConfig is the configuration file: the defaults an operator gets, and
// a timeout that bounds a job the kit fails to cancel.
func hostConfig(cfg *Config, state, plugins, sock, db string) string {
	launcherBlock := fmt.Sprintf("launcher %s {\n  warm = 1\n", strconv.Quote(cfg.Name))
	if cfg.Runtime != "" {
		launcherBlock += fmt.Sprintf("  runtime = %s\n", strconv.Quote(cfg.Runtime))
	}
	launcherBlock += "}\n"
	// serve runs no job until the operator turns scripts on and grants
	// them: the kit runs as root.
	return fmt.Sprintf(`external_scripts_enabled = true
grant "uid:0" {
  languages    = ["*"]
  read_tables  = ["*"]
  write_tables = ["*"]
}
state_dir  = %s
plugin_dir = %s
socket     = %s
instance {
  driver = "sqlite"
  dsn    = %s
}
limits {
  timeout = "120s"
}
sandbox {
  isolation = "full"
  uid_base  = %d
}
%s`, strconv.Quote(state), strconv.Quote(plugins), strconv.Quote(sock), strconv.Quote(db), uidBase(), launcherBlock)
}

// serve starts `launchpad serve` and waits until it serves; the host is
// stopped when the test ends and must leave nothing behind.
func (h *host) serve(t *testing.T, conf string) {
	t.Helper()
	p, err := testhost.Start(testhost.Config{
		Bin: h.bin, Args: []string{"serve", "--config", conf, "--log-level", "debug"},
		Sock: h.sock, CgroupParent: testhost.CgroupParent(uidBase()),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.proc, h.log = p, p.Log
	t.Cleanup(func() {
		if err := p.Stop(45 * time.Second); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("host log tail:\n%s", p.Log.Tail(6000))
		}
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// The kit's tables are declared as SQL Server declares them, and their
// values are T-SQL literals: `launchpad table create` makes them on the
// instance through the host's own type table, so how the instance declares a
// column or stores a value is the host's business and no line of the kit's.

// Table is one table of the kit's instance.
type Table struct {
	Name    string
	Columns string  // T-SQL column declarations
	Rows    [][]any // T-SQL literals (strings), nil for NULL
	// Types are the types exec reports for the columns (nil: not stated).
	Types []string
}

// Tables are the tables the kit creates on its host's instance: the host's
// own tests check that its type table creates them as declared.
func Tables() []Table { return kitTables() }

// createInstance makes the kit's tables in the SQLite file at path with
// the launchpad binary.
func createInstance(launchpad, path string) error {
	for _, tb := range kitTables() {
		rows, err := json.Marshal(tb.Rows)
		if err != nil {
			return err
		}
		cmd := exec.Command(launchpad, "table", "create", "--db", path, "--name", tb.Name, "--columns", tb.Columns)
		cmd.Stdin = bytes.NewReader(rows)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("launchpad table create %s: %w: %s", tb.Name, err, out)
		}
	}
	return nil
}

// kitTables are conformance_types, one table per edge, and conformance_ints.
func kitTables() []Table {
	cols := make([]string, len(typeColumns))
	for i, c := range typeColumns {
		cols[i] = c.name + " " + c.decl
	}
	types := Table{Name: "conformance_types", Columns: strings.Join(cols, ", "), Types: columnTypes()}
	for _, r := range typeRows {
		lits := make([]any, len(r))
		for i, v := range r {
			lits[i] = v.literal
		}
		types.Rows = append(types.Rows, lits)
	}
	tables := []Table{types}
	for _, e := range edges {
		tables = append(tables, Table{Name: "edge_" + e.name, Columns: e.column + " " + e.decl, Rows: [][]any{{e.literal}}})
	}
	ints := Table{Name: "conformance_ints", Columns: "x bigint NOT NULL, y bigint NOT NULL, w bigint NOT NULL",
		Types: []string{"int64", "int64", "int64"}}
	for _, r := range intRows {
		ints.Rows = append(ints.Rows, []any{fmt.Sprint(r.x), fmt.Sprint(r.y), fmt.Sprint(r.w)})
	}
	return append(tables, ints)
}

func columnTypes() []string {
	var out []string
	for _, c := range typeColumns {
		out = append(out, c.typ)
	}
	return out
}

// cell is one value of typeRows: the T-SQL literal stored (nil for NULL),
// and the JSON exec prints.
type cell struct {
	literal any
	json    string
}

// typeColumns are conformance_types' columns: their T-SQL declaration and
// the type exec reports. They hold every BXL type but int8, int16, int32
// and float32, which an instance may store wider: ParamsOfEveryType covers
// those.
var typeColumns = []struct{ name, decl, typ string }{
	{"id", "bigint NOT NULL", "int64"}, {"b", "bit", "bool"}, {"i", "bigint", "int64"}, {"f", "float", "float64"},
	{"dec", "decimal(38,10)", "decimal(38,10)"}, {"s", "nvarchar(max)", "string"}, {"bin", "varbinary(max)", "binary"},
	{"d", "date", "date"}, {"tm", "time", "time"}, {"dt", "datetime2", "datetime"},
	{"dto", "datetimeoffset", "datetimeoffset"}, {"u", "uniqueidentifier", "uuid"},
}

var typeRows = [][]cell{
	{
		{"1", `1`}, {"1", `true`}, {"9007199254740992", `9007199254740992`}, {"1.5", `1.5`},
		{"-12345.0123456789", `-12345.0123456789`},
		{"héllo ✓ 你好 🙂", `"héllo ✓ 你好 🙂"`}, {"0x00FF10", `"0x00FF10"`},
		{"2024-02-29", `"2024-02-29"`}, {"13:45:00.123456", `"13:45:00.123456"`},
		{"2024-02-29 13:45:00.123456", `"2024-02-29 13:45:00.123456"`},
		{"2024-02-29 13:45:00.5+05:45", `"2024-02-29 13:45:00.5 +05:45"`},
		{"6f9619ff-8b86-d011-b42d-00c04fc964ff", `"6f9619ff-8b86-d011-b42d-00c04fc964ff"`},
	},
	{
		{"2", `2`}, {"0", `false`}, {"-9007199254740992", `-9007199254740992`}, {"-2.25", `-2.25`},
		{"0.0000000001", `0.0000000001`}, {"", `""`}, {"0x", `"0x"`},
		{"1969-12-31", `"1969-12-31"`}, {"00:00:00", `"00:00:00"`},
		{"1900-01-01 00:00:00", `"1900-01-01 00:00:00"`},
		{"1999-12-31 23:59:59-08:00", `"1999-12-31 23:59:59 -08:00"`},
		{"00000000-0000-0000-0000-000000000000", `"00000000-0000-0000-0000-000000000000"`},
	},
	{
		{"3", `3`}, {nil, `null`}, {nil, `null`}, {nil, `null`}, {nil, `null`}, {nil, `null`},
		{nil, `null`}, {nil, `null`}, {nil, `null`}, {nil, `null`}, {nil, `null`}, {nil, `null`},
	},
}

// edges are values at the end of a type's range, each in its own table
// edge_NAME, that a runtime must carry exactly or refuse by name
// (Config.Refuses).
var edges = []struct {
	name, column, decl, literal, json string
}{
	{EdgeInt64Min, "i", "bigint", "-9223372036854775808", `-9223372036854775808`},
	{EdgeInt64BeyondDouble, "i", "bigint", "9007199254740993", `9007199254740993`},
	{EdgeWideDecimal, "dec", "decimal(38,10)", "-1234567890123456789012345678.0123456789",
		`-1234567890123456789012345678.0123456789`},
}

// intRows are conformance_ints, the integer snippets' input
// (Snippets.MatrixProduct): x and y beyond 2^31, y = 3x + 7, w small; every
// product and sum the checks compute stays below 2^53, so a double holds the
// exact answer.
type intRow struct{ x, y, w int64 }

var intRows = func() []intRow {
	rows := make([]intRow, 6)
	for i := range rows {
		x := int64(3_000_000_000) + int64(i)*1_000_003
		rows[i] = intRow{x: x, y: 3*x + 7, w: int64(i + 1)}
	}
	return rows
}()

// uidBase gives each kit host its own worker range (and so its own cgroup
// parent): a host sweeps its range at start, and kits for several launchers
// run at once under go test.
func uidBase() int {
	return 1_891_000_000 + (os.Getpid()%9000)*100
}
