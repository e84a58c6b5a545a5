package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Usage is the launchpad command's usage, the same from either binary.
const Usage = `usage: launchpad <command> [flags]

Host:
  dev      run a development host on an embedded SQLite instance
  serve    run a host from a configuration file
Callers:
  exec     run a script on a host
Operators:
  jobs     list running and recent jobs (--format json)
  cancel   cancel a running job
Administrators:
  config   validate a configuration file (config validate --config FILE)
  table    create a table on a SQLite instance file from T-SQL declarations
           and literals (table create --db F --name T --columns D < rows.json)
  key      generate signing keys
  plugin   sign, register, list and remove launchers
  trust    add, list and revoke trusted publishers
Other:
  version  print the version (also --version)

Run 'launchpad <command> -h' for a command's flags.
`

// ErrUsage marks errors that are the caller's wording, not a failure
// (exit 2).
var ErrUsage = errors.New("usage")

// ErrHelp: the usage the caller asked for was printed (exit 0).
var ErrHelp = errors.New("help requested")

// Out is where -h usage goes; tests swap it.
var Out io.Writer = os.Stdout

// Command is the command and its arguments from os.Args; without one it
// prints the usage and exits 2.
func Command() (string, []string) {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, Usage)
		os.Exit(2)
	}
	return os.Args[1], os.Args[2:]
}

// Exit ends the process after command cmd returned err: 0 for nil or
// ErrHelp, 2 for ErrUsage, 1 otherwise, with the error on stderr.
func Exit(cmd string, err error) {
	if err == nil || errors.Is(err, ErrHelp) {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "launchpad %s: %v\n", cmd, err)
	if errors.Is(err, ErrUsage) {
		os.Exit(2)
	}
	os.Exit(1)
}

// NewFlagSet is a flag set whose -h prints usage and every flag to Out.
func NewFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(Out, "usage: %s\n\nflags:\n", usage)
		fs.SetOutput(Out)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// SubcommandUsage is the answer to a command without (or with an unknown)
// subcommand: its usage, on Out for -h, else as a usage error.
func SubcommandUsage(args []string, usage string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(Out, "usage: %s\n\nRun a subcommand with -h for its flags.\n", usage)
		return ErrHelp
	}
	return fmt.Errorf("%w: %s", ErrUsage, usage)
}

// ParseInterspersed parses flags placed before or after positionals.
func ParseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, ErrHelp // fs.Usage printed it
		} else if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrUsage, fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// WriteJSON writes v as the CLI's --format json does: indented, one
// document.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// version is set at link time by packagers
// (-ldflags "-X github.com/openlaunchpad/launchpad/cmd/internal/cli.version=…").
var version = ""

// Version is "launchpad VERSION (go1.x, vcs REVISION[+dirty])": the
// build's own module and VCS stamps when no version was linked in.
func Version() string {
	v, rev, dirty := version, "", false
	info, ok := debug.ReadBuildInfo()
	if ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	out := "launchpad " + v
	if ok {
		out += " (" + info.GoVersion
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			out += ", vcs " + rev
			if dirty {
				out += "+dirty"
			}
		}
		out += ")"
	}
	return out
}
