package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Defaults of the bounds on queries a script makes back to the instance
// (docs/bxl.md, "Queries from the script").
const (
	// DefaultMaxQueries is how many queries one job may make.
	DefaultMaxQueries = 100
	// DefaultMaxQueryResultBytes bounds the encoded rows of all of a job's
	// query answers together.
	DefaultMaxQueryResultBytes = 1 << 30
)

// queryInputWait is how long a QUERY may wait for the host to finish
// writing the job's input. A runtime of ours sends QUERY only after it read
// the input's END, so the writer is done within moments; one that queries
// before reading its input would otherwise hold the job until its limit.
const queryInputWait = 5 * time.Second

// errQueryLimit is wrapped by a query refused for the job's query limits.
var errQueryLimit = errors.New("query limit reached")

// queryLimits are the job's bounds on script queries, defaults applied.
func (ex *execution) queryLimits() (count int, bytes int64) {
	count, bytes = ex.lim.MaxQueries, ex.lim.MaxQueryResultBytes
	if count == 0 {
		count = DefaultMaxQueries
	}
	if bytes <= 0 {
		bytes = DefaultMaxQueryResultBytes
	}
	return max(count, 0), bytes
}

// queriesAllowed says whether the job's runtime may send QUERY at all; the
// host then keeps its writing side open after the input's END.
func (ex *execution) queriesAllowed() bool {
	n, _ := ex.queryLimits()
	return n > 0
}

// endAnswers closes the host's writing side once the runtime's stream
// ended (END, ERROR or a failure): no QUERY can follow, and a launcher that
// bridges the data plane to pipes (R's) waits for this EOF before its
// runtime's exit is reported. With queries off, writeInput closed it after
// the input already.
func (ex *execution) endAnswers() {
	if ex.queriesAllowed() {
		ex.conn.CloseWrite()
	}
}

// answerQuery serves one QUERY frame: the query runs on the job's data
// source (the instance through the caller's grant, or the caller's own
// source) and its rows go back as SCHEMA BATCH* END, or an ERROR of kind
// query that the runtime raises in the script. Only a broken frame, a
// QUERY the host cannot answer in order, or a dead data plane is an error
// here: those end the job. outputStarted says the runtime already sent
// its output's SCHEMA or PARAMS: its script has finished, so a QUERY now is
// out of order.
func (ex *execution) answerQuery(ctx context.Context, dl bxl.Limits, p []byte, outputStarted bool) error {
	if outputStarted {
		return fmt.Errorf("%w: QUERY after the output started", bxl.ErrProtocol)
	}
	q, err := dl.DecodeQuery(p)
	if err != nil {
		return err
	}
	if !ex.queriesAllowed() {
		// The host closed its writing side after the input: no answer can go.
		return fmt.Errorf("%w: QUERY, but this host allows scripts no queries (limits max_queries)", bxl.ErrProtocol)
	}
	select {
	case <-ex.inputEnded:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(queryInputWait):
		return fmt.Errorf("%w: QUERY before the runtime read its input", bxl.ErrProtocol)
	}
	ex.queries++
	refuse := func(err error) error {
		ex.log.Info("script query refused", "query_number", ex.queries, "error", err)
		return bxl.NewWriter(ex.conn).WriteError(&bxl.ScriptError{Kind: bxl.ErrorKindQuery,
			Type: "QueryError", Message: bxl.Truncated(err.Error(), minErrorBytes)})
	}
	maxQueries, _ := ex.queryLimits()
	switch {
	case ex.queries > maxQueries:
		return refuse(fmt.Errorf("%w: the job may make %d queries", errQueryLimit, maxQueries))
	case ex.target == nil:
		return refuse(errors.New("queries are not available in a partition of a @parallel job"))
	}
	rows, err := ex.target.Query(ctx, q.Text, nil, ex.lim.BatchBytes)
	if err != nil {
		return refuse(ex.sanitize(err))
	}
	defer ex.runner.closeLogged(ex.req.ID, "script query", rows.Close)
	return ex.streamAnswer(rows, refuse)
}

// streamAnswer sends a query's rows within what is left of the job's
// query result budget; a failure midway replaces END with an ERROR.
func (ex *execution) streamAnswer(rows interface {
	Schema() *bxl.Schema
	Next() (*bxl.Batch, error)
}, refuse func(error) error) error {
	w := bxl.NewWriter(ex.conn)
	if err := w.WriteSchema(rows.Schema()); err != nil {
		return err
	}
	_, budget := ex.queryLimits()
	for {
		b, err := rows.Next()
		if err == io.EOF {
			return w.WriteEnd(w.Rows())
		}
		if err != nil {
			return refuse(ex.sanitize(err))
		}
		ex.queryBytes += int64(b.Bytes())
		if ex.queryBytes > budget {
			return refuse(fmt.Errorf("%w: query results exceeded the job's limit of %d bytes", errQueryLimit, budget))
		}
		if err := w.WriteBatch(b); err != nil {
			return err
		}
	}
}
