package job

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// queryScript is the fake runtime's side of script queries. Scripts:
//
//	query:SQL          one query; its rows are the output, an ERROR answer
//	                   fails the job as the script's error
//	query flood N      N queries of "SELECT 1 AS n"; its launcher error says
//	                   "answered A refused R: last refusal"
//	query huge         a QUERY frame whose header announces 200 MiB
//	query garbage      a QUERY frame that is no dictionary
//	query mid output   SCHEMA, then QUERY
//	query after end    END, then QUERY
func queryScript(in *fakeInput, w *bxl.Writer, data io.Writer) (*launcher.ExitStatus, error) {
	script := in.job.Script
	switch {
	case strings.HasPrefix(script, "query:"):
		return queryOnce(in, w, strings.TrimPrefix(script, "query:"))
	case strings.HasPrefix(script, "query flood "):
		return queryFlood(in, w, strings.TrimPrefix(script, "query flood "))
	case script == "query huge":
		hdr := binary.LittleEndian.AppendUint32(nil, 200<<20)
		_, err := data.Write(append(hdr, byte(bxl.FrameQuery)))
		return &launcher.ExitStatus{}, err
	case script == "query garbage":
		return &launcher.ExitStatus{}, w.WriteFrame(bxl.FrameQuery, []byte{1, 2, 3})
	case script == "query mid output":
		if err := w.WriteSchema(&bxl.Schema{Fields: []bxl.Field{{Name: "n", Type: bxl.TypeInt64}}}); err != nil {
			return nil, err
		}
		return &launcher.ExitStatus{}, w.WriteQuery(bxl.Query{Text: "SELECT 1"})
	case script == "query after end":
		if err := w.WriteParams(&bxl.Schema{}, nil); err != nil {
			return nil, err
		}
		if err := w.WriteEnd(0); err != nil {
			return nil, err
		}
		_, err := data.Write(append(append(binary.LittleEndian.AppendUint32(nil, 12), byte(bxl.FrameQuery)),
			bxl.AppendQuery(nil, bxl.Query{Text: "SELECT 1"})[:12]...))
		return &launcher.ExitStatus{}, err
	}
	return nil, fmt.Errorf("fake runtime: unknown script %q", script)
}

// fakeAnswer reads the host's answer to one QUERY.
func fakeAnswer(rd *bxl.Reader) (*bxl.Schema, []*bxl.Batch, *bxl.ScriptError, error) {
	rd.ReadAnswer()
	var schema *bxl.Schema
	var batches []*bxl.Batch
	for {
		t, p, err := rd.Next()
		if err != nil {
			return nil, nil, nil, err
		}
		switch t {
		case bxl.FrameError:
			se, err := bxl.DecodeError(p)
			return nil, nil, se, err
		case bxl.FrameSchema:
			if schema, err = bxl.DecodeSchema(p); err != nil {
				return nil, nil, nil, err
			}
		case bxl.FrameBatch:
			b, err := bxl.DecodeBatch(p, schema)
			if err != nil {
				return nil, nil, nil, err
			}
			batches = append(batches, b)
		case bxl.FrameEnd:
			return schema, batches, nil, nil
		default:
			return nil, nil, nil, fmt.Errorf("answer holds a %s frame", t)
		}
	}
}

func queryOnce(in *fakeInput, w *bxl.Writer, text string) (*launcher.ExitStatus, error) {
	if err := w.WriteQuery(bxl.Query{Text: text}); err != nil {
		return nil, err
	}
	schema, batches, se, err := fakeAnswer(in.rd)
	if err != nil {
		return nil, err
	}
	if se != nil {
		return &launcher.ExitStatus{Code: 1}, w.WriteError(&bxl.ScriptError{Kind: bxl.ErrorKindScript,
			Type: se.Type, Message: se.Message})
	}
	if err := w.WriteSchema(schema); err != nil {
		return nil, err
	}
	for _, b := range batches {
		if err := w.WriteBatch(b); err != nil {
			return nil, err
		}
	}
	if err := w.WriteParams(&bxl.Schema{}, nil); err != nil {
		return nil, err
	}
	return &launcher.ExitStatus{}, w.WriteEnd(w.Rows())
}

func queryFlood(in *fakeInput, w *bxl.Writer, count string) (*launcher.ExitStatus, error) {
	var n, answered, refused int
	if _, err := fmt.Sscan(count, &n); err != nil {
		return nil, err
	}
	var last string
	for i := 0; i < n; i++ {
		if err := w.WriteQuery(bxl.Query{Text: "SELECT 1 AS n"}); err != nil {
			return nil, err
		}
		_, _, se, err := fakeAnswer(in.rd)
		switch {
		case err != nil:
			return nil, err
		case se != nil:
			refused, last = refused+1, se.Message
		default:
			answered++
		}
	}
	if err := w.WriteParams(&bxl.Schema{}, nil); err != nil {
		return nil, err
	}
	if err := w.WriteEnd(0); err != nil {
		return nil, err
	}
	return &launcher.ExitStatus{}, fmt.Errorf("answered %d refused %d: %s", answered, refused, last)
}

// grantedInstance is a real SQLite instance with a granted table sales, a
// secret one and a writable scores.
func grantedInstance(t *testing.T) (datasource.Source, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "instance.db")
	src, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	db, err := sql.Open(datasource.DriverSQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE sales(id INTEGER, amount REAL); INSERT INTO sales VALUES (1, 2.5), (2, 4);
		CREATE TABLE secret(k TEXT); INSERT INTO secret VALUES ('root-only');
		CREATE TABLE scores(id INTEGER, score REAL)`); err != nil {
		t.Fatal(err)
	}
	return src, path
}

var analyst = &Access{ReadTables: []string{"sales"}, WriteTables: []string{"scores"}}

func runGranted(t *testing.T, tune func(*Config), req *Request) (*recordSink, *Result, error) {
	t.Helper()
	src, _ := grantedInstance(t)
	h := newHarness(t, func(_ *fakeSandbox, c *Config) {
		c.Source = src
		if tune != nil {
			tune(c)
		}
	})
	sink := &recordSink{}
	req.Language = "Fake"
	res, err := h.runner.Run(context.Background(), req, sink)
	return sink, res, err
}

func TestQuery_ScriptReadsInsideTheGrant(t *testing.T) {
	t.Parallel()
	sink, _, err := runGranted(t, nil, &Request{Script: "query:SELECT id, amount FROM sales ORDER BY id", Access: analyst})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sink.rows); got != "[[1 2.5] [2 4]]" {
		t.Errorf("rows = %s", got)
	}
}

// TestQuery_GrantStopsReadsOutsideIt: the input query, a param query and a
// script's query of a table outside the grant are refused naming it; so are ATTACH and
// PRAGMA through a script's query; without a grant (an in-process caller)
// the same query reads.
func TestQuery_GrantStopsReadsOutsideIt(t *testing.T) {
	t.Parallel()
	_, _, err := runGranted(t, nil, &Request{Script: "echo", InputQuery: "SELECT k FROM secret", Access: analyst})
	var jerr *Error
	if !errors.As(err, &jerr) || jerr.Code != CodeDataSource || !errors.Is(err, datasource.ErrPermissionDenied) ||
		!strings.Contains(err.Error(), `"secret"`) {
		t.Fatalf("input query outside the grant: %v", err)
	}
	preq := request(t, "@k nvarchar(100)", nil, ParamQuery{Param: "k", Query: "SELECT k FROM secret"})
	preq.ID, preq.Script, preq.Access = "", "echo", analyst
	if _, _, err := runGranted(t, nil, preq); !errors.Is(err, datasource.ErrPermissionDenied) {
		t.Fatalf("param query outside the grant: %v", err)
	}
	for q, want := range map[string]string{
		"SELECT k FROM secret":               `permission denied: the caller's grant does not allow reading table "secret"`,
		"SELECT s.id FROM sales s, secret x": `"secret"`,
		"ATTACH '/etc/passwd' AS p":          "not authorized",
		"PRAGMA table_info(secret)":          "not authorized",
		"SELECT 1; SELECT k FROM secret":     "not authorized",
	} {
		_, _, err := runGranted(t, nil, &Request{Script: "query:" + q, Access: analyst})
		if !errors.As(err, &jerr) || jerr.Code != CodeScript || !strings.Contains(err.Error(), want) {
			t.Errorf("script query %q: %v, want a script error with %q", q, err, want)
		}
	}
	sink, _, err := runGranted(t, nil, &Request{Script: "query:SELECT k FROM secret"})
	if err != nil || fmt.Sprint(sink.rows) != "[[root-only]]" {
		t.Errorf("unrestricted query: %v, rows %v", err, sink.rows)
	}
}

func TestQuery_WriteBackOutsideGrantRefusedBeforeAnyRow(t *testing.T) {
	t.Parallel()
	src, path := grantedInstance(t)
	h := newHarness(t, func(_ *fakeSandbox, c *Config) { c.Source = src })
	_, err := h.runner.Run(context.Background(), &Request{Language: "Fake", Script: "echo",
		InputQuery: "SELECT id, amount FROM sales", IntoTable: "sales", Access: analyst}, &recordSink{})
	if !errors.Is(err, datasource.ErrPermissionDenied) || !strings.Contains(err.Error(), "sales") {
		t.Fatalf("write-back outside the grant: %v", err)
	}
	if n := h.sandbox.closes(); n != 0 {
		t.Errorf("a sandbox was opened (%d) for a refused job", n)
	}
	db, err := sql.Open(datasource.DriverSQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sales`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("sales has %d rows (%v), want 2 unchanged", n, err)
	}
	if _, err := h.runner.Run(context.Background(), &Request{Language: "Fake", Script: "echo",
		InputQuery: "SELECT id, amount FROM sales", IntoTable: "scores", Access: analyst}, &recordSink{}); err != nil {
		t.Fatalf("write-back inside the grant: %v", err)
	}
}

// TestQuery_HostileRuntime: the host bounds and orders what a runtime's
// QUERY frames can do.
func TestQuery_HostileRuntime(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		script string
		lim    Limits
		want   string
		code   Code
	}{
		"many queries": {script: "query flood 12", lim: Limits{MaxQueries: 10},
			want: "answered 10 refused 2: query limit reached: the job may make 10 queries", code: CodeLauncherFault},
		"result budget": {script: "query flood 3", lim: Limits{MaxQueryResultBytes: 1},
			want: "answered 0 refused 3: query limit reached: query results exceeded", code: CodeLauncherFault},
		"huge frame":       {script: "query huge", want: "length 209715200 exceeds the limit of 1048576", code: CodeLauncherFault},
		"garbage":          {script: "query garbage", want: "protocol error: query", code: CodeLauncherFault},
		"mid output":       {script: "query mid output", want: "QUERY after the output started", code: CodeLauncherFault},
		"queries disabled": {script: "query:SELECT 1", lim: Limits{MaxQueries: -1}, want: "allows scripts no queries", code: CodeLauncherFault},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tt.lim.Timeout = time.Minute
			_, _, err := runGranted(t, func(c *Config) { c.Limits = tt.lim }, &Request{Script: tt.script, Access: analyst})
			var jerr *Error
			if !errors.As(err, &jerr) || jerr.Code != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %v with %q", err, tt.code, tt.want)
			}
		})
	}
	// After END the host reads nothing more: the QUERY is never answered
	// and the job's result stands.
	if _, _, err := runGranted(t, nil, &Request{Script: "query after end", Access: analyst}); err != nil {
		t.Fatalf("QUERY after END: %v", err)
	}
}
