package tdsfake

import (
	"fmt"
	"regexp"
	"strings"
)

const (
	pkRPC = 3
	// procExecuteSQL is sp_executesql's well-known procedure id.
	procExecuteSQL = 10
	tyNull         = 0x1F
)

// RPCCall records one sp_executesql call: the statement, its parameter
// declarations and the values bound, by name without "@".
type RPCCall struct {
	Statement string
	Params    string
	Values    map[string]any
}

// RPCCalls returns every sp_executesql call received, in order.
func (s *Server) RPCCalls() []RPCCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RPCCall(nil), s.rpcs...)
}

var reVariable = regexp.MustCompile(`@@?[\p{L}\p{N}_#$@]+`)

// rpc answers sp_executesql (by id or name; nothing else): it checks that
// every @variable of the statement is declared, as the server does, then
// runs the statement as a batch.
func (c *conn) rpc(msg []byte) {
	r := &reader{b: skipAllHeaders(msg)}
	call, err := readExecuteSQL(r)
	if err != nil {
		c.fail(&Error{Number: 50000, Class: 16, Message: "fake: " + err.Error()})
		return
	}
	c.s.mu.Lock()
	c.s.rpcs = append(c.s.rpcs, call)
	c.s.mu.Unlock()
	declared := map[string]bool{}
	for _, v := range reVariable.FindAllString(call.Params, -1) {
		declared[strings.ToLower(v)] = true
	}
	for _, v := range reVariable.FindAllString(stripLiterals(call.Statement), -1) {
		if !strings.HasPrefix(v, "@@") && !declared[strings.ToLower(v)] {
			c.fail(&Error{Number: 137, Class: 15, Message: fmt.Sprintf("Must declare the scalar variable \"%s\".", v)})
			return
		}
	}
	c.runText(call.Statement, call.Values)
}

// readExecuteSQL decodes an RPC request for sp_executesql.
func readExecuteSQL(r *reader) (RPCCall, error) {
	n := r.u16()
	if n == 0xFFFF {
		if id := r.u16(); id != procExecuteSQL {
			return RPCCall{}, fmt.Errorf("procedure id %d not supported", id)
		}
	} else if name, _ := fromUCS2(r.bytes(2 * int(n))); !strings.EqualFold(name, "sp_executesql") {
		return RPCCall{}, fmt.Errorf("procedure %q not supported", name)
	}
	r.u16() // option flags
	call := RPCCall{Values: map[string]any{}}
	for i := 0; r.err == nil && len(r.b) > 0; i++ {
		name, _ := fromUCS2(r.bytes(2 * int(r.u8())))
		r.u8() // status flags
		v, err := readParamValue(r)
		if err != nil {
			return call, fmt.Errorf("param %d (%s): %w", i+1, name, err)
		}
		switch {
		case i == 0:
			s, _ := v.(string)
			call.Statement = s
		case i == 1:
			s, _ := v.(string)
			call.Params = s
		default:
			call.Values[strings.TrimPrefix(name, "@")] = v
		}
	}
	if r.err != nil {
		return call, fmt.Errorf("truncated RPC request: %w", r.err)
	}
	return call, nil
}

func readParamValue(r *reader) (any, error) {
	if len(r.b) > 0 && r.b[0] == tyNull {
		r.u8()
		return nil, r.err
	}
	t, err := readTypeInfo(r)
	if err != nil {
		return nil, err
	}
	return readValue(r, t)
}

// stripLiterals blanks string literals, quoted names and comments, so an
// '@' inside them is not taken for a variable.
func stripLiterals(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		end := ""
		switch {
		case q[i] == '\'':
			end = "'"
		case q[i] == '[':
			end = "]"
		case q[i] == '"':
			end = `"`
		case strings.HasPrefix(q[i:], "--"):
			end = "\n"
		case strings.HasPrefix(q[i:], "/*"):
			end = "*/"
		}
		if end == "" {
			b.WriteByte(q[i])
			continue
		}
		k := strings.Index(q[i+1:], end)
		if k < 0 {
			break
		}
		i += k + len(end)
		b.WriteByte(' ')
	}
	return b.String()
}
