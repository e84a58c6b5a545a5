package job

import (
	"fmt"

	"github.com/openlaunchpad/launchpad/host/datasource"
)

// rights is the caller's grant as the data sources take it.
func (a *Access) rights() datasource.Rights {
	return datasource.Rights{ReadTables: a.ReadTables, WriteTables: a.WriteTables, Login: a.Login}
}

// checkWriteGrant refuses a write-back outside the caller's grant while the
// request is checked: before the sandbox opens, long before a row could be
// written. The scoped source checks again when the write begins.
func checkWriteGrant(req *Request) error {
	if req.Access == nil || req.IntoTable == "" {
		return nil
	}
	table, _, err := parseInto(req.IntoTable)
	if err != nil {
		return err
	}
	return req.Access.rights().CheckWrite(table)
}

// scopeInstance gives a restricted caller the instance through its grant.
// A source that cannot enforce one is refused, never used unrestricted.
func scopeInstance(src datasource.Source, a *Access) (datasource.Source, error) {
	if a == nil {
		return src, nil
	}
	sc, ok := src.(datasource.Scoper)
	if !ok {
		return nil, fmt.Errorf("%w: the instance's data source (%T) cannot enforce the caller's grant", datasource.ErrPermissionDenied, src)
	}
	return sc.Scoped(a.rights())
}
