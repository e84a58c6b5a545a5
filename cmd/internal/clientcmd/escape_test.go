package clientcmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"

	"github.com/openlaunchpad/launchpad/client/clienttest"
	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// hostile is script output that drives a terminal: OSC 52 sets the
// clipboard, OSC 0 the title, CSI 2J clears the screen, 8-bit CSI (U+009B),
// a carriage return to overwrite a line, BEL, DEL and an invalid byte.
const hostile = "ok\t\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J\u009b31m\rfake\x7f\xff\n"

func TestEscapeText_ShowsEveryControl(t *testing.T) {
	cases := map[string]string{
		"plain text stays":      "héllo ✓\tcol\nnext",
		"osc 52 clipboard":      `\x1b]52;c;ZXZpbA==\x07`,
		"everything":            `ok` + "\t" + `\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J\u009b31m\x0dfake\x7f\xff` + "\n",
		"nul and backspace":     `a\x00b\x08`,
		"c1 next line":          `x\u0085y`,
		"truncated utf8 at end": `\xe2\x9c`,
	}
	inputs := map[string]string{
		"plain text stays": "héllo ✓\tcol\nnext", "osc 52 clipboard": "\x1b]52;c;ZXZpbA==\x07",
		"everything": hostile, "nul and backspace": "a\x00b\x08", "c1 next line": "x\u0085y",
		"truncated utf8 at end": "\xe2\x9c",
	}
	for name, want := range cases {
		if got := escapeText(inputs[name]); got != want {
			t.Errorf("%s: escapeText = %q, want %q", name, got, want)
		}
	}
}

// TestEscapeWriter_RuneSplitAcrossWrites: a stream may split a rune (or an
// escape) between writes; the writer must neither break the rune nor let
// a control byte through.
func TestEscapeWriter_RuneSplitAcrossWrites(t *testing.T) {
	var out bytes.Buffer
	w := &escapeWriter{w: &out}
	in := []byte("✓\x1b[2J✓\u009b")
	for i := range in {
		if _, err := w.Write(in[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	w.Write([]byte{0xe2})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), `✓\x1b[2J✓\u009b\xe2`; got != want {
		t.Fatalf("stream = %q, want %q", got, want)
	}
}

// fakeHost answers Execute with hostile text in every place exec prints.
type fakeHost struct {
	proto.UnimplementedLaunchpadServer
}

func (fakeHost) Execute(_ *proto.ExecuteRequest, s grpc.ServerStreamingServer[proto.ExecuteResponse]) error {
	schema := &bxl.Schema{Fields: []bxl.Field{{Name: "note\x1b[2J", Type: bxl.TypeString, Nullable: true}}}
	b := bxl.NewBuilder(schema)
	// BXL strings are UTF-8: the cell carries everything but the bad byte.
	if err := b.AppendRow(strings.ReplaceAll(hostile, "\xff", "")); err != nil {
		return err
	}
	ps := &bxl.Schema{Fields: []bxl.Field{{Name: "msg", Type: bxl.TypeString, Nullable: true, Output: true}}}
	pb := bxl.NewBuilder(ps)
	if err := pb.AppendRow("\x1b]0;param\x07"); err != nil {
		return err
	}
	events := []*proto.ExecuteResponse{
		{Event: &proto.ExecuteResponse_Started{Started: &proto.JobStarted{JobId: "j1", Warnings: []string{"warn\x1b[2J"}}}},
		{Event: &proto.ExecuteResponse_Message{Message: &proto.Message{Stream: proto.Message_STREAM_STDOUT, Text: []byte(hostile[:9])}}},
		{Event: &proto.ExecuteResponse_Message{Message: &proto.Message{Stream: proto.Message_STREAM_STDOUT, Text: []byte(hostile[9:])}}},
		{Event: &proto.ExecuteResponse_Message{Message: &proto.Message{Stream: proto.Message_STREAM_HOST, Text: []byte("host \x1b]52;c;aG9zdA==\x07")}}},
		{Event: &proto.ExecuteResponse_Schema{Schema: bxl.AppendSchema(nil, schema)}},
		{Event: &proto.ExecuteResponse_Batch{Batch: bxl.AppendBatch(nil, b.Build())}},
		{Event: &proto.ExecuteResponse_Status{Status: &proto.Status{JobId: "j1", OutputParams: bxl.AppendParams(nil, ps, pb.Build()),
			Error: &proto.Error{Message: "script error: \x1b]0;title\x07", Traceback: "line 1\x1b[2J"}}}},
	}
	for _, ev := range events {
		if err := s.Send(ev); err != nil {
			return err
		}
	}
	return nil
}

func startFakeHost(t *testing.T) string { return clienttest.Serve(t, fakeHost{}) }

// openPTY returns a pseudo-terminal's two ends, the terminal end without
// output processing (so \n stays \n and every byte read is a byte written).
func openPTY(t *testing.T) (master, term *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	tio, err := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(s.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// readAll collects what reaches the terminal until its other end closes.
func readAll(m *os.File) <-chan string {
	out := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(m) // ends with EIO once the terminal end is closed
		out <- string(b)
	}()
	return out
}

// controlBytes lists the bytes a terminal would act on.
func controlBytes(s string) []string {
	var bad []string
	for i, r := range s {
		if isControl(r) || (r == 0xfffd && s[i] != 0xef) {
			bad = append(bad, fmt.Sprintf("%q at %d", r, i))
		}
	}
	return bad
}

// TestExec_EscapesHostileOutputOnATerminal is finding 14 through the real
// exec code and a pseudo-terminal: no control byte of the script's output,
// messages, errors, traceback, table or params reaches the terminal, and
// the text is still there, escaped.
func TestExec_EscapesHostileOutputOnATerminal(t *testing.T) {
	addr := startFakeHost(t)
	for _, format := range []string{"table", "csv", "json"} {
		t.Run(format, func(t *testing.T) {
			master, term := openPTY(t)
			defer master.Close()
			got := readAll(master)
			code := execMain([]string{"--address", addr, "--language", "Python", "--script", "x", "--format", format}, term, term)
			term.Close()
			text := <-got
			if code != exitJob {
				t.Errorf("exit %d, want %d", code, exitJob)
			}
			if bad := controlBytes(text); len(bad) > 0 {
				t.Fatalf("control bytes reached the terminal: %v\n%q", bad, text)
			}
			for _, want := range []string{`\x1b]52;c;ZXZpbA==\x07`, `\x1b]0;title\x07`, `line 1\x1b[2J`, `warn\x1b[2J`, `host \x1b]52;`, `\u009b31m`} {
				if !strings.Contains(text, want) {
					t.Errorf("terminal output lacks %s:\n%s", want, text)
				}
			}
		})
	}
}

// TestExec_PipesStayExact: to a pipe (or with --escape never) CSV is the
// script's bytes, escapes included; --escape always escapes a pipe too.
func TestExec_PipesStayExact(t *testing.T) {
	addr := startFakeHost(t)
	run := func(extra ...string) (string, string) {
		outR, outW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		errR, errW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		outc, errc := readAll(outR), readAll(errR)
		args := append([]string{"--address", addr, "--language", "Python", "--script", "x", "--format", "csv"}, extra...)
		execMain(args, outW, errW)
		outW.Close()
		errW.Close()
		return <-outc, <-errc
	}
	stdout, stderr := run()
	if !strings.Contains(stdout, "\x1b]52;c;ZXZpbA==\x07") || !strings.Contains(stderr, hostile) {
		t.Errorf("a pipe did not get the exact bytes:\nstdout %q\nstderr %q", stdout, stderr)
	}
	stdout, stderr = run("--escape", "always")
	if bad := controlBytes(stdout + stderr); len(bad) > 0 {
		t.Errorf("--escape always let control bytes through: %v", bad)
	}
}
