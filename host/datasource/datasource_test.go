package datasource

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestSanitizeError_RemovesCredentialsInEveryDSNForm(t *testing.T) {
	const pw = "p@ss;w{r}d=1"
	tests := []struct {
		name string
		dsn  string
	}{
		{"URL", "sqlserver://alice:" + strings.NewReplacer("@", "%40", ";", "%3B", "{", "%7B", "}", "%7D", "=", "%3D").Replace(pw) + "@db.example:1433?database=x"},
		{"URLPasswordParam", "sqlserver://db.example?user+id=alice&password=" + strings.NewReplacer("@", "%40", ";", "%3B", "{", "%7B", "}", "%7D", "=", "%3D").Replace(pw)},
		{"ADO", `server=db.example;user id=alice;password="p@ss;w{r}d=1";database=x`},
		{"ODBC", "odbc:server=db.example;uid=alice;pwd={p@ss;w{r}}d=1}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := fmt.Errorf("connect with %q as alice using %s: %w", tt.dsn, pw, ErrNoDSN)
			got := SanitizeError(orig, tt.dsn)
			msg := got.Error()
			if strings.Contains(msg, pw) || strings.Contains(msg, "alice") || strings.Contains(msg, "p%40ss") {
				t.Fatalf("sanitized message still has credentials: %s", msg)
			}
			if !strings.Contains(msg, redacted) {
				t.Fatalf("sanitized message %q has no redaction marker", msg)
			}
			if !errors.Is(got, ErrNoDSN) {
				t.Fatalf("sanitized error lost errors.Is(ErrNoDSN)")
			}
			if errors.Unwrap(got) != nil {
				t.Fatalf("sanitized error still wraps the original chain")
			}
			if r := RedactDSN(tt.dsn); strings.Contains(r, "alice") || strings.Contains(r, "w{r}") {
				t.Fatalf("RedactDSN = %s", r)
			}
		})
	}
	if err := SanitizeError(nil, "x"); err != nil {
		t.Fatal("SanitizeError(nil) != nil")
	}
	plain := errors.New("nothing secret here")
	if SanitizeError(plain, "sqlserver://bob:hunter22@h") != plain {
		t.Fatal("an error without credentials should come back unchanged")
	}
}

func TestResolveDSN_PicksExactlyOneSource(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/dsn"
	if err := os.WriteFile(file, []byte("sqlserver://u:p@h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := dir + "/empty"
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LAUNCHPAD_TEST_DSN_ENV", "sqlserver://e:p@h")
	tests := []struct {
		name, dsn, env, file, want string
		wantErr                    bool
	}{
		{"Literal", "sqlserver://l:p@h", "", "", "sqlserver://l:p@h", false},
		{"Env", "", "LAUNCHPAD_TEST_DSN_ENV", "", "sqlserver://e:p@h", false},
		{"FileTrimmed", "", "", file, "sqlserver://u:p@h", false},
		{"None", "", "", "", "", true},
		{"Two", "x", "LAUNCHPAD_TEST_DSN_ENV", "", "", true},
		{"UnsetEnv", "", "LAUNCHPAD_TEST_DSN_UNSET", "", "", true},
		{"EmptyFile", "", "", empty, "", true},
		{"MissingFile", "", "", dir + "/nope", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveDSN(tt.dsn, tt.env, tt.file)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ResolveDSN = %q, %v; want %q, err=%v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
