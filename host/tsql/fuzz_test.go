package tsql

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds the parser arbitrary batches, seeded with the
// documentation forms in testdata: it must never panic, must end, and must
// either return a call or a positioned error; the lexer's tokens must cover
// the source in order.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.sql"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{"", "GO", "N'", "/*/*", "[", "@", "0x", "1e", "DECLARE @x int = ((((1", "SELECT @x AS",
		"DECLARE @m varchar(9) = 'a', @v varbinary(max) = (SELECT (x) FROM t WHERE n = @m)\nEXEC sp_execute_external_script N'R', N'1', @params = N'@v varbinary(max)', @v = @v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkTokens(t, src)
		s, err := Parse(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Pos.Line < 1 || pe.Pos.Col < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if s.Call == nil {
			t.Fatal("no error and no call")
		}
		for _, it := range s.Select {
			if !outputVar(s.Call, it.Variable) {
				t.Fatalf("selected @%s is not an OUTPUT variable", it.Variable)
			}
		}
	})
}

func outputVar(c *Call, name string) bool {
	for _, b := range c.Bindings {
		if b.Output && b.Variable == name {
			return true
		}
	}
	return false
}

// checkTokens: tokens are in order, inside the source, and their text is
// the source's.
func checkTokens(t *testing.T, src string) {
	toks, err := Lex(src)
	if err != nil {
		return
	}
	end := 0
	for _, tk := range toks {
		if tk.Start < end || tk.End < tk.Start || tk.End > len(src) {
			t.Fatalf("token %+v out of order or outside the source (previous end %d, length %d)", tk, end, len(src))
		}
		if tk.Kind != Go && tk.Text != src[tk.Start:tk.End] {
			t.Fatalf("token text %q is not the source's %q", tk.Text, src[tk.Start:tk.End])
		}
		end = tk.End
	}
	if toks[len(toks)-1].Kind != EOF {
		t.Fatal("the last token is not EOF")
	}
}
