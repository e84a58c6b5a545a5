package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/host/dev"
)

// tableIn is where `table create` reads its rows (a test swaps it).
var tableIn io.Reader = os.Stdin

// runTable is `launchpad table create`: a table on a SQLite instance file,
// declared in T-SQL and filled with T-SQL literals read as JSON rows from
// stdin ([["1", null, "0x00FF"], …]), through the host's own type table
// (dev.CreateTable). The conformance kit builds its instance with it, so it
// holds no SQLite mapping and imports nothing of host/.
func runTable(args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return cli.SubcommandUsage(args, "launchpad table create --db PATH --name TABLE --columns DECLS < rows.json")
	}
	fs := cli.NewFlagSet("table create", "launchpad table create --db PATH --name TABLE --columns DECLS < rows.json")
	db := fs.String("db", "", "SQLite instance file (created when missing)")
	name := fs.String("name", "", "table to create")
	columns := fs.String("columns", "", "T-SQL column declarations: 'id bigint NOT NULL, price decimal(10,2)'")
	if _, err := cli.ParseInterspersed(fs, args[1:]); err != nil {
		return err
	}
	if *db == "" || *name == "" || *columns == "" {
		return fmt.Errorf("%w: --db, --name and --columns are required", cli.ErrUsage)
	}
	var rows [][]*string
	if err := json.NewDecoder(tableIn).Decode(&rows); err != nil && err != io.EOF {
		return fmt.Errorf("rows on stdin: want JSON [[\"literal\" or null, …], …]: %w", err)
	}
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = make([]any, len(r))
		for j, v := range r {
			if v != nil {
				vals[i][j] = *v
			}
		}
	}
	return dev.CreateTable(context.Background(), *db, *name, *columns, vals)
}
