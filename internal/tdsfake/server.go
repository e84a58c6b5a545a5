package tdsfake

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Packet types (MS-TDS 2.2.3.1.1).
const (
	pkSQLBatch  = 1
	pkReply     = 4
	pkAttention = 6
	pkBulkLoad  = 7
	pkTransMgr  = 14
	pkLogin7    = 16
	pkPrelogin  = 18
)

// Tokens (MS-TDS 2.2.7).
const (
	tokColMetadata = 0x81
	tokError       = 0xAA
	tokLoginAck    = 0xAD
	tokRow         = 0xD1
	tokNBCRow      = 0xD2
	tokEnvChange   = 0xE3
	tokDone        = 0xFD
)

const (
	doneMore  = 0x01
	doneError = 0x02
	doneCount = 0x10
	doneAttn  = 0x20
)

const packetSize = 4096

// Column describes a result or table column with its T-SQL type.
type Column struct {
	Name     string
	Type     string // T-SQL spelling: "int", "decimal(10,2)", "nvarchar(max)", "sql_variant", …
	Nullable bool
}

// Result is a canned answer to one SQL batch text.
type Result struct {
	Columns []Column
	Rows    [][]any
	// N and Gen stream N generated rows instead of Rows (Gen(i) for i = 0..N-1).
	N   int
	Gen func(i int) []any
	// Err, when set, is sent as an ERROR token instead of a result.
	Err *Error
}

// Error is a server error as the ERROR token carries it.
type Error struct {
	Number  int32
	Class   uint8
	Message string
}

// BulkInsert records one INSERT BULK as the client sent it.
type BulkInsert struct {
	Table     string
	Columns   []string
	Rows      [][]any
	Committed bool
}

// Server is the fake. Configure the exported fields before Start.
type Server struct {
	User, Password string
	// Results answers SQL batch texts (compared after trimming spaces and a trailing ';').
	Results map[string]Result
	// Logins, when set, are the logins EXECUTE AS LOGIN may impersonate.
	Logins map[string]bool

	ln net.Listener
	wg sync.WaitGroup

	// mu guards the fields below.
	mu      sync.Mutex
	tables  map[string]*table
	bulks   []*BulkInsert
	batches []string
	rpcs    []RPCCall
	stmts   []Statement
	conns   map[net.Conn]bool
	closed  bool
}

type table struct {
	name  string
	cols  []Column
	types []sqlType
	rows  [][]any
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.ln = ln
	s.tables = map[string]*table{}
	s.conns = map[net.Conn]bool{}
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				_ = c.Close()
				return
			}
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				_ = c.Close()
			}()
		}
	}()
	return nil
}

// Close stops the listener, drops every connection and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	if s.ln != nil {
		_ = s.ln.Close()
	}
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// SetResult adds or replaces a canned result while the server runs.
func (s *Server) SetResult(query string, r Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Results == nil {
		s.Results = map[string]Result{}
	}
	s.Results[strings.TrimSuffix(strings.TrimSpace(query), ";")] = r
}

// DSN returns a go-mssqldb connection string for this server.
func (s *Server) DSN(user, password string) string {
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword(user, password), Host: s.ln.Addr().String(),
		RawQuery: "database=master&encrypt=disable&connection+timeout=5&dial+timeout=5"}
	return u.String()
}

// AddTable creates a committed table with rows, as if it already existed.
func (s *Server) AddTable(name string, cols []Column, rows [][]any) error {
	t, err := newTable(name, cols)
	if err != nil {
		return err
	}
	t.rows = rows
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables[tableKey(name)] = t
	return nil
}

// TableRows returns a copy of a table's committed rows; ok is false when there is no such table.
func (s *Server) TableRows(name string) (rows [][]any, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tables[tableKey(name)]
	if !ok {
		return nil, false
	}
	return append([][]any(nil), t.rows...), true
}

// BulkInserts returns what clients bulk loaded, in order.
func (s *Server) BulkInserts() []BulkInsert {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]BulkInsert, len(s.bulks))
	for i, b := range s.bulks {
		out[i] = *b
	}
	return out
}

// Batches returns every SQL batch text received, in order.
func (s *Server) Batches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.batches...)
}

func newTable(name string, cols []Column) (*table, error) {
	t := &table{name: name, cols: cols}
	for _, c := range cols {
		ty, err := parseType(c.Type)
		if err != nil {
			return nil, err
		}
		t.types = append(t.types, ty)
	}
	return t, nil
}

// tableKey normalizes "[dbo].[Scores]", "dbo.scores" and "Scores" alike.
func tableKey(name string) string {
	n := strings.ToLower(strings.NewReplacer("[", "", "]", "", `"`, "").Replace(strings.TrimSpace(name)))
	if !strings.Contains(n, ".") {
		n = "dbo." + n
	}
	return n
}

// conn is one client session.
type conn struct {
	s      *Server
	c      net.Conn
	out    []byte
	tx     *txState
	nextTx uint64
	fmtOn  bool
	bulkTo string
	bulkCo []string
	as     []string // EXECUTE AS LOGIN stack (impersonate.go)
}

type txState struct {
	id      uint64
	created []string
	pending map[string][][]any
	bulks   []*BulkInsert
}

func (s *Server) serve(nc net.Conn) {
	c := &conn{s: s, c: nc}
	typ, _, err := c.readMessage()
	if err != nil || typ != pkPrelogin {
		return
	}
	c.sendPreloginReply()
	typ, msg, err := c.readMessage()
	if err != nil || typ != pkLogin7 {
		return
	}
	if !c.login(msg) {
		return
	}
	// A dropped session rolls back its open transaction, as a server does.
	defer func() {
		if c.tx != nil {
			c.s.mu.Lock()
			for _, key := range c.tx.created {
				delete(c.s.tables, key)
			}
			c.s.mu.Unlock()
		}
	}()
	for {
		typ, msg, err := c.readMessage()
		if err != nil {
			return
		}
		switch typ {
		case pkSQLBatch:
			c.sqlBatch(msg)
		case pkRPC:
			c.rpc(msg)
		case pkTransMgr:
			c.transMgr(msg)
		case pkBulkLoad:
			c.bulkLoad(msg)
		case pkAttention:
			c.done(doneAttn, 0, 0)
		default:
			c.sendError(&Error{Number: 50000, Class: 16, Message: fmt.Sprintf("fake server: packet type %d not supported", typ)})
			c.done(doneError, 0, 0)
		}
		if c.flush() != nil {
			return
		}
	}
}

// readMessage reads packets until end-of-message.
func (c *conn) readMessage() (byte, []byte, error) {
	var msg []byte
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(c.c, hdr[:]); err != nil {
			return 0, nil, err
		}
		n := int(binary.BigEndian.Uint16(hdr[2:4]))
		if n < 8 {
			return 0, nil, errors.New("short packet")
		}
		body := make([]byte, n-8)
		if _, err := io.ReadFull(c.c, body); err != nil {
			return 0, nil, err
		}
		msg = append(msg, body...)
		if hdr[1]&0x01 != 0 {
			return hdr[0], msg, nil
		}
	}
}

// flush sends the buffered reply as packets of at most packetSize bytes.
func (c *conn) flush() error {
	data := c.out
	c.out = c.out[:0]
	id := byte(1)
	for {
		n := min(len(data), packetSize-8)
		status := byte(0)
		if n == len(data) {
			status = 1
		}
		hdr := []byte{pkReply, status, 0, 0, 0, 0, id, 0}
		binary.BigEndian.PutUint16(hdr[2:], uint16(n+8))
		if _, err := c.c.Write(append(hdr, data[:n]...)); err != nil {
			return err
		}
		data = data[n:]
		id++
		if status == 1 {
			return nil
		}
	}
}

func (c *conn) sendPreloginReply() {
	// VERSION, ENCRYPTION = NOT_SUP, INSTOPT, THREADID, MARS; offsets from the payload start.
	opts := []struct {
		tok  byte
		data []byte
	}{
		{0, []byte{16, 0, 0x10, 0x00, 0, 0}},
		{1, []byte{2}},
		{2, []byte{0}},
		{3, []byte{0, 0, 0, 0}},
		{4, []byte{0}},
	}
	off := len(opts)*5 + 1
	var hdr, data []byte
	for _, o := range opts {
		hdr = append(hdr, o.tok, byte(off>>8), byte(off), byte(len(o.data)>>8), byte(len(o.data)))
		data = append(data, o.data...)
		off += len(o.data)
	}
	c.out = append(append(append(c.out, hdr...), 0xFF), data...)
	_ = c.flush()
}

func (c *conn) login(msg []byte) bool {
	field := func(at int) []byte {
		if len(msg) < at+4 {
			return nil
		}
		off := int(binary.LittleEndian.Uint16(msg[at:]))
		n := int(binary.LittleEndian.Uint16(msg[at+2:])) * 2
		if off+n > len(msg) {
			return nil
		}
		return msg[off : off+n]
	}
	user, _ := fromUCS2(field(40))
	pw := append([]byte(nil), field(44)...)
	for i, b := range pw {
		b ^= 0xA5
		pw[i] = b<<4 | b>>4
	}
	pass, _ := fromUCS2(pw)
	if user != c.s.User || pass != c.s.Password {
		c.sendError(&Error{Number: 18456, Class: 14, Message: fmt.Sprintf("Login failed for user '%s'.", user)})
		c.done(doneError, 0, 0)
		_ = c.flush()
		return false
	}
	ack := []byte{1, 0x74, 0x00, 0x00, 0x04}
	ack = appendBVarChar(ack, "Launchpad TDS fake")
	ack = append(ack, 16, 0, 0, 0)
	c.out = append(c.out, tokLoginAck)
	c.out = binary.LittleEndian.AppendUint16(c.out, uint16(len(ack)))
	c.out = append(c.out, ack...)
	c.done(0, 0, 0)
	return c.flush() == nil
}

func (c *conn) done(status, curcmd uint16, rows uint64) {
	c.out = append(c.out, tokDone)
	c.out = binary.LittleEndian.AppendUint16(c.out, status)
	c.out = binary.LittleEndian.AppendUint16(c.out, curcmd)
	c.out = binary.LittleEndian.AppendUint64(c.out, rows)
}

func (c *conn) sendError(e *Error) {
	class := e.Class
	if class == 0 {
		class = 16
	}
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, uint32(e.Number))
	b = append(b, 1, class)
	b = appendUSVarChar(b, e.Message)
	b = appendBVarChar(b, "tdsfake")
	b = appendBVarChar(b, "")
	b = binary.LittleEndian.AppendUint32(b, 1)
	c.out = append(c.out, tokError)
	c.out = binary.LittleEndian.AppendUint16(c.out, uint16(len(b)))
	c.out = append(c.out, b...)
}

func (c *conn) fail(e *Error) {
	c.sendError(e)
	c.done(doneError, 0, 0)
}

// skipAllHeaders drops the ALL_HEADERS block that starts batch and TM requests.
func skipAllHeaders(msg []byte) []byte {
	if len(msg) < 4 {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(msg))
	if n > len(msg) {
		return nil
	}
	return msg[n:]
}

var (
	reSelectStar  = regexp.MustCompile(`(?is)^select \* from ([^\s;]+)(?: order by \[?(\w+)\]?)?(\s+set fmtonly off)?$`)
	reSelectTop0  = regexp.MustCompile(`(?is)^select top \(0\) \* from ([^\s;]+)$`)
	reCreateTable = regexp.MustCompile(`(?is)^create table ([^\s(]+) \((.*)\)$`)
	reInsertBulk  = regexp.MustCompile(`(?is)^insert bulk ([^\s(]+) \((.*)\)`)
)

func (c *conn) sqlBatch(msg []byte) {
	text, err := fromUCS2(skipAllHeaders(msg))
	if err != nil {
		c.fail(&Error{Number: 50000, Message: "fake: bad batch text"})
		return
	}
	c.runText(text, nil)
}

// runText answers one batch text: a canned result, or the few statements
// the fake understands.
func (c *conn) runText(text string, values map[string]any) {
	q := strings.TrimSuffix(strings.TrimSpace(text), ";")
	c.s.mu.Lock()
	c.s.batches = append(c.s.batches, q)
	c.s.stmts = append(c.s.stmts, Statement{Text: q, As: c.context()})
	res, canned := c.s.Results[q]
	c.s.mu.Unlock()
	if c.executeAs(q, values) {
		return
	}
	lower := strings.ToLower(q)
	switch {
	case canned:
		c.sendResult(&res)
	case lower == "select 1":
		c.sendResult(&Result{Columns: []Column{{Name: "", Type: "int"}}, Rows: [][]any{{int64(1)}}})
	case lower == "set fmtonly on":
		c.fmtOn = true
		c.done(0, 0, 0)
	case lower == "set fmtonly off":
		c.fmtOn = false
		c.done(0, 0, 0)
	case reSelectStar.MatchString(q):
		m := reSelectStar.FindStringSubmatch(q)
		c.selectStar(m[1], m[2], c.fmtOn)
		if m[3] != "" {
			c.fmtOn = false
		}
	case reSelectTop0.MatchString(q):
		c.selectStar(reSelectTop0.FindStringSubmatch(q)[1], "", true)
	case reCreateTable.MatchString(q):
		m := reCreateTable.FindStringSubmatch(q)
		c.createTable(m[1], m[2])
	case reInsertBulk.MatchString(q):
		m := reInsertBulk.FindStringSubmatch(q)
		cols, err := parseColumnDefs(m[2])
		if err != nil {
			c.fail(&Error{Number: 102, Message: err.Error()})
			return
		}
		c.bulkTo = m[1]
		c.bulkCo = c.bulkCo[:0]
		for _, col := range cols {
			c.bulkCo = append(c.bulkCo, col.Name)
		}
		c.done(0, 0, 0)
	default:
		c.fail(&Error{Number: 102, Class: 15, Message: fmt.Sprintf("Incorrect syntax near '%s'.", firstWord(q))})
	}
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// selectStar answers "SELECT * FROM t [ORDER BY col]"; ORDER BY sorts on an
// integer column only, which is all the tests need.
func (c *conn) selectStar(name, orderBy string, metadataOnly bool) {
	c.s.mu.Lock()
	t, ok := c.s.tables[tableKey(name)]
	var rows [][]any
	if ok {
		rows = append(rows, t.rows...)
		if c.tx != nil {
			rows = append(rows, c.tx.pending[tableKey(name)]...)
		}
	}
	c.s.mu.Unlock()
	if !ok {
		c.fail(&Error{Number: 208, Message: fmt.Sprintf("Invalid object name '%s'.", name)})
		return
	}
	if metadataOnly {
		rows = nil
	}
	if orderBy != "" {
		col := -1
		for i, tc := range t.cols {
			if strings.EqualFold(tc.Name, orderBy) {
				col = i
			}
		}
		if col < 0 {
			c.fail(&Error{Number: 207, Message: fmt.Sprintf("Invalid column name '%s'.", orderBy)})
			return
		}
		sort.SliceStable(rows, func(i, j int) bool {
			a, _ := rows[i][col].(int64)
			b, _ := rows[j][col].(int64)
			return a < b
		})
	}
	c.sendResult(&Result{Columns: t.cols, Rows: rows})
}

// parseColumnDefs reads "[a] bigint NOT NULL, [b] decimal(10,2) NULL, …" as the
// host and go-mssqldb write them (names bracketed, types without spaces).
func parseColumnDefs(defs string) ([]Column, error) {
	var cols []Column
	for _, part := range splitTopLevel(defs) {
		part = strings.TrimSpace(part)
		if !strings.HasPrefix(part, "[") {
			return nil, fmt.Errorf("fake: column definition %q must start with a bracketed name", part)
		}
		end := strings.Index(part, "] ")
		for end >= 0 && end+1 < len(part) && strings.HasPrefix(part[end:], "]]") {
			end = strings.Index(part[end+2:], "] ") + end + 2
		}
		if end < 0 {
			return nil, fmt.Errorf("fake: bad column definition %q", part)
		}
		name := strings.ReplaceAll(part[1:end], "]]", "]")
		rest := strings.Fields(part[end+2:])
		if len(rest) == 0 {
			return nil, fmt.Errorf("fake: column %q has no type", name)
		}
		col := Column{Name: name, Type: rest[0], Nullable: true}
		tail := strings.ToUpper(strings.Join(rest[1:], " "))
		if strings.Contains(tail, "NOT NULL") {
			col.Nullable = false
		}
		// go-mssqldb's INSERT BULK spells collations after the type.
		cols = append(cols, col)
	}
	return cols, nil
}

// splitTopLevel splits on commas outside parentheses and brackets.
func splitTopLevel(s string) []string {
	var out []string
	depth, inBr, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			inBr = true
		case ']':
			inBr = false
		case '(':
			if !inBr {
				depth++
			}
		case ')':
			if !inBr {
				depth--
			}
		case ',':
			if depth == 0 && !inBr {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (c *conn) createTable(name, defs string) {
	cols, err := parseColumnDefs(defs)
	if err == nil {
		var t *table
		if t, err = newTable(name, cols); err == nil {
			key := tableKey(name)
			c.s.mu.Lock()
			if _, exists := c.s.tables[key]; exists {
				c.s.mu.Unlock()
				c.fail(&Error{Number: 2714, Message: fmt.Sprintf("There is already an object named '%s' in the database.", name)})
				return
			}
			c.s.tables[key] = t
			if c.tx != nil {
				c.tx.created = append(c.tx.created, key)
			}
			c.s.mu.Unlock()
			c.done(0, 0, 0)
			return
		}
	}
	c.fail(&Error{Number: 102, Message: err.Error()})
}

func (c *conn) transMgr(msg []byte) {
	body := skipAllHeaders(msg)
	if len(body) < 2 {
		c.fail(&Error{Number: 50000, Message: "fake: short transaction request"})
		return
	}
	env := func(typ byte, newV, oldV []byte) {
		b := []byte{typ, byte(len(newV))}
		b = append(b, newV...)
		b = append(b, byte(len(oldV)))
		b = append(b, oldV...)
		c.out = append(c.out, tokEnvChange)
		c.out = binary.LittleEndian.AppendUint16(c.out, uint16(len(b)))
		c.out = append(c.out, b...)
	}
	switch binary.LittleEndian.Uint16(body) {
	case 5: // TM_BEGIN_XACT
		c.nextTx++
		c.tx = &txState{id: c.nextTx, pending: map[string][][]any{}}
		env(8, binary.LittleEndian.AppendUint64(nil, c.tx.id), nil)
	case 7: // TM_COMMIT_XACT
		if c.tx == nil {
			c.fail(&Error{Number: 3902, Message: "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION."})
			return
		}
		c.s.mu.Lock()
		for key, rows := range c.tx.pending {
			if t, ok := c.s.tables[key]; ok {
				t.rows = append(t.rows, rows...)
			}
		}
		for _, b := range c.tx.bulks {
			b.Committed = true
		}
		c.s.mu.Unlock()
		env(9, nil, binary.LittleEndian.AppendUint64(nil, c.tx.id))
		c.tx = nil
	case 8: // TM_ROLLBACK_XACT
		if c.tx != nil {
			c.s.mu.Lock()
			for _, key := range c.tx.created {
				delete(c.s.tables, key)
			}
			c.s.mu.Unlock()
			env(10, nil, binary.LittleEndian.AppendUint64(nil, c.tx.id))
			c.tx = nil
		}
	default:
		c.fail(&Error{Number: 50000, Message: "fake: unsupported transaction request"})
		return
	}
	c.done(0, 0, 0)
}

// sendResult writes COLMETADATA, ROW/NBCROW tokens and DONE.
func (c *conn) sendResult(r *Result) {
	if r.Err != nil {
		c.fail(r.Err)
		return
	}
	if len(r.Columns) == 0 {
		c.done(0, 0, 0)
		return
	}
	types := make([]sqlType, len(r.Columns))
	c.out = append(c.out, tokColMetadata)
	c.out = binary.LittleEndian.AppendUint16(c.out, uint16(len(r.Columns)))
	for i, col := range r.Columns {
		t, err := parseType(col.Type)
		if err != nil {
			c.out = c.out[:0]
			c.fail(&Error{Number: 50000, Message: err.Error()})
			return
		}
		types[i] = t
		c.out = binary.LittleEndian.AppendUint32(c.out, 0) // user type
		flags := uint16(0)
		if col.Nullable {
			flags |= 1
		}
		c.out = binary.LittleEndian.AppendUint16(c.out, flags)
		c.out = writeTypeInfo(c.out, t)
		c.out = appendBVarChar(c.out, col.Name)
	}
	n := len(r.Rows)
	if r.Gen != nil {
		n = r.N
	}
	for i := 0; i < n; i++ {
		row := r.Gen
		var vals []any
		if row != nil {
			vals = row(i)
		} else {
			vals = r.Rows[i]
		}
		if err := c.appendRow(types, vals); err != nil {
			c.fail(&Error{Number: 50000, Message: err.Error()})
			return
		}
		// Keep memory flat for generated results: send as we go.
		if len(c.out) > 64<<10 {
			if err := c.flushPartial(); err != nil {
				return
			}
		}
	}
	c.done(doneCount, 0xC1, uint64(n))
}

// flushPartial sends all complete packets buffered so far, keeping the rest.
func (c *conn) flushPartial() error {
	payload := packetSize - 8
	for len(c.out) > payload {
		hdr := []byte{pkReply, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(hdr[2:], uint16(packetSize))
		if _, err := c.c.Write(append(hdr, c.out[:payload]...)); err != nil {
			return err
		}
		c.out = append(c.out[:0], c.out[payload:]...)
	}
	return nil
}

func (c *conn) appendRow(types []sqlType, vals []any) error {
	if len(vals) != len(types) {
		return fmt.Errorf("fake: row has %d values for %d columns", len(vals), len(types))
	}
	hasNull := false
	for _, v := range vals {
		if v == nil {
			hasNull = true
		}
	}
	var err error
	if !hasNull {
		c.out = append(c.out, tokRow)
		for i, v := range vals {
			if c.out, err = appendValue(c.out, types[i], v); err != nil {
				return err
			}
		}
		return nil
	}
	// NBCROW: a NULL bitmap, then only the non-NULL values.
	c.out = append(c.out, tokNBCRow)
	bm := make([]byte, (len(vals)+7)/8)
	for i, v := range vals {
		if v == nil {
			bm[i/8] |= 1 << (i % 8)
		}
	}
	c.out = append(c.out, bm...)
	for i, v := range vals {
		if v == nil {
			continue
		}
		if c.out, err = appendValue(c.out, types[i], v); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) bulkLoad(msg []byte) {
	r := &reader{b: msg}
	if c.bulkTo == "" || r.u8() != tokColMetadata {
		c.fail(&Error{Number: 4819, Message: "fake: bulk load without INSERT BULK"})
		return
	}
	ncol := int(r.u16())
	types := make([]sqlType, ncol)
	names := make([]string, ncol)
	for i := 0; i < ncol && r.err == nil; i++ {
		r.u32() // user type
		r.u16() // flags
		t, err := readTypeInfo(r)
		if err != nil {
			c.fail(&Error{Number: 4819, Message: err.Error()})
			return
		}
		types[i] = t
		names[i], _ = fromUCS2(r.bytes(2 * int(r.u8())))
	}
	var rows [][]any
	for r.err == nil {
		tok := r.u8()
		if tok == tokDone {
			break
		}
		if tok != tokRow {
			c.fail(&Error{Number: 4819, Message: fmt.Sprintf("fake: unexpected bulk token 0x%02x", tok)})
			return
		}
		row := make([]any, ncol)
		for i := range row {
			v, err := readValue(r, types[i])
			if err != nil {
				c.fail(&Error{Number: 4819, Message: err.Error()})
				return
			}
			row[i] = v
		}
		rows = append(rows, row)
	}
	if r.err != nil {
		c.fail(&Error{Number: 4819, Message: "fake: truncated bulk load: " + r.err.Error()})
		return
	}
	key := tableKey(c.bulkTo)
	rec := &BulkInsert{Table: c.bulkTo, Columns: names, Rows: rows}
	c.s.mu.Lock()
	t, ok := c.s.tables[key]
	if ok {
		// Store in table column order, NULL for columns the bulk did not name.
		ordered := make([][]any, len(rows))
		for ri, row := range rows {
			o := make([]any, len(t.cols))
			for ci, n := range names {
				for ti, tc := range t.cols {
					if strings.EqualFold(tc.Name, n) {
						o[ti] = row[ci]
					}
				}
			}
			ordered[ri] = o
		}
		c.s.bulks = append(c.s.bulks, rec)
		if c.tx != nil {
			c.tx.pending[key] = append(c.tx.pending[key], ordered...)
			c.tx.bulks = append(c.tx.bulks, rec)
		} else {
			t.rows = append(t.rows, ordered...)
			rec.Committed = true
		}
	}
	c.s.mu.Unlock()
	c.bulkTo = ""
	if !ok {
		c.fail(&Error{Number: 208, Message: fmt.Sprintf("Invalid object name '%s'.", rec.Table)})
		return
	}
	c.done(doneCount, 0, uint64(len(rows)))
}

// reader is a sticky-error little-endian reader over one message.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// TableNames lists the tables the fake holds, sorted.
func (s *Server) TableNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.tables {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
