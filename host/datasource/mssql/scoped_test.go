package mssql

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/internal/tdsfake"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// These tests run against the TDS fake: it checks the statements the host
// sends and keeps EXECUTE AS per connection as the server does, but it
// enforces no permissions of its own. TestSQLServerReal_ExecuteAsLogin
// runs against a real server when one is configured.

const alice = `DOMAIN\alice`

func startFakeLogins(t *testing.T) (*tdsfake.Server, *sqlServerSource) {
	t.Helper()
	srv := &tdsfake.Server{User: fakeUser, Password: fakePassword, Logins: map[string]bool{alice: true}}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	src := openMSSQL(t, srv.DSN(fakeUser, fakePassword)).(*sqlServerSource)
	// One connection: a context left behind would show in the next statement.
	src.db.SetMaxOpenConns(1)
	return srv, src
}

func drainClose(t *testing.T, r datasource.Rows) [][]any {
	t.Helper()
	defer dstest.CloseRows(t, r)
	return dstest.Drain(t, r)
}

func scopedAs(t *testing.T, src *sqlServerSource, r datasource.Rights) datasource.Source {
	t.Helper()
	sc, err := src.Scoped(r)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// statementsSince returns the statements after the first n as "AS|TEXT".
func statementsSince(srv *tdsfake.Server, n int) []string {
	var out []string
	for _, s := range srv.Statements()[n:] {
		out = append(out, s.As+"|"+s.Text)
	}
	return out
}

func TestSQLServerFake_QueryRunsAsCallersLogin(t *testing.T) {
	srv, src := startFakeLogins(t)
	sc := scopedAs(t, src, datasource.Rights{ReadTables: []string{"*"}, Login: alice})
	n := len(srv.Statements())
	rows := drainClose(t, dstest.MustQuery(t, sc, "SELECT 1"))
	if len(rows) != 1 {
		t.Fatalf("rows = %v", rows)
	}
	dstest.CloseRows(t, dstest.MustQuery(t, src, "SELECT 1")) // the host's own, after
	got := strings.Join(statementsSince(srv, n), "\n")
	want := "|EXECUTE AS LOGIN = @login\n" + alice + "|SELECT 1\n" + alice + "|REVERT\n|SELECT 1"
	if got != want {
		t.Fatalf("statements:\n%s\nwant:\n%s", got, want)
	}
}

func TestSQLServerFake_WriteRunsAsCallersLoginInsideGrant(t *testing.T) {
	srv, src := startFakeLogins(t)
	sc := scopedAs(t, src, datasource.Rights{ReadTables: []string{"*"}, WriteTables: []string{"dbo.scores"}, Login: alice})
	ctx := context.Background()
	schema := &bxl.Schema{Fields: []bxl.Field{dstest.Nullable("id", bxl.TypeInt64)}}
	n := len(srv.Statements())
	if _, err := sc.BeginWrite(ctx, "dbo.secret", true, schema); !errors.Is(err, datasource.ErrPermissionDenied) {
		t.Fatalf("write outside the grant: %v", err)
	}
	if got := statementsSince(srv, n); len(got) != 0 {
		t.Fatalf("a refused write sent %v", got)
	}
	if _, ok := srv.TableRows("dbo.secret"); ok {
		t.Fatal("the refused write created its table")
	}
	w, err := sc.BeginWrite(ctx, "[dbo].[scores]", true, schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(dstest.BuildBatch(t, schema, [][]any{{int64(7)}})); err != nil {
		t.Fatal(err)
	}
	if rows, err := w.Commit(); err != nil || rows != 1 {
		t.Fatalf("commit = %d, %v", rows, err)
	}
	dstest.CloseRows(t, dstest.MustQuery(t, src, "SELECT 1"))
	stmts := srv.Statements()[n:]
	if first := stmts[0]; first.Text != "EXECUTE AS LOGIN = @login" || first.As != "" {
		t.Errorf("first statement = %+v", first)
	}
	for _, s := range stmts[1 : len(stmts)-2] {
		if s.As != alice {
			t.Errorf("statement %q ran as %q, want %q", s.Text, s.As, alice)
		}
	}
	if last := stmts[len(stmts)-1]; last.As != "" || stmts[len(stmts)-2].Text != "REVERT" {
		t.Errorf("after the write: %v", statementsSince(srv, n))
	}
}

func TestSQLServerFake_LoginThatCannotBeImpersonatedIsRefused(t *testing.T) {
	srv, src := startFakeLogins(t)
	sc := scopedAs(t, src, datasource.Rights{ReadTables: []string{"*"}, Login: `DOMAIN\mallory`})
	err := dstest.DrainErr(sc, "SELECT 1")
	if !errors.Is(err, datasource.ErrPermissionDenied) || !strings.Contains(err.Error(), `DOMAIN\mallory`) {
		t.Fatalf("query as an unknown login: %v", err)
	}
	n := len(srv.Statements())
	dstest.CloseRows(t, dstest.MustQuery(t, src, "SELECT 1"))
	if got := statementsSince(srv, n); len(got) != 1 || got[0] != "|SELECT 1" {
		t.Fatalf("after the refusal: %v", got)
	}
}

func TestSQLServer_ScopedRefusesLimitedReadsWithoutLogin(t *testing.T) {
	src := &sqlServerSource{}
	if _, err := src.Scoped(datasource.Rights{ReadTables: []string{"sales"}}); !errors.Is(err, datasource.ErrPermissionDenied) {
		t.Fatalf("read_tables without sql_login: %v", err)
	}
	if _, err := src.Scoped(datasource.Rights{ReadTables: []string{"*"}}); err != nil {
		t.Fatalf("every table without a login: %v", err)
	}
}

// TestSQLServerReal_ExecuteAsLogin needs LAUNCHPAD_TEST_SQLSERVER_DSN and
// LAUNCHPAD_TEST_SQLSERVER_LOGIN, a login the DSN's may impersonate.
func TestSQLServerReal_ExecuteAsLogin(t *testing.T) {
	dsn, login := os.Getenv("LAUNCHPAD_TEST_SQLSERVER_DSN"), os.Getenv("LAUNCHPAD_TEST_SQLSERVER_LOGIN")
	if dsn == "" || login == "" {
		t.Skip("LAUNCHPAD_TEST_SQLSERVER_DSN and LAUNCHPAD_TEST_SQLSERVER_LOGIN not set")
	}
	src := openMSSQL(t, dsn).(*sqlServerSource)
	src.db.SetMaxOpenConns(1)
	sc := scopedAs(t, src, datasource.Rights{ReadTables: []string{"*"}, Login: login})
	rows := drainClose(t, dstest.MustQuery(t, sc, "SELECT SUSER_SNAME() AS who"))
	if len(rows) != 1 || !strings.EqualFold(rows[0][0].(string), login) {
		t.Fatalf("ran as %v, want %s", rows, login)
	}
	rows = drainClose(t, dstest.MustQuery(t, src, "SELECT SUSER_SNAME() AS who"))
	if len(rows) == 1 && strings.EqualFold(rows[0][0].(string), login) {
		t.Fatal("the host's next query still ran as the caller's login")
	}
}
