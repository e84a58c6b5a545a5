package bxl

import (
	"encoding/hex"
	"fmt"
)

// UUID is 16 bytes in RFC 4122 order, as the text form reads.
type UUID [16]byte

// ParseUUID accepts the canonical 8-4-4-4-12 hex form, optionally in braces or
// with a "urn:uuid:" prefix, and the 32-digit form without hyphens; any case.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	t := s
	if len(t) == 45 && (t[:9] == "urn:uuid:" || t[:9] == "URN:UUID:") {
		t = t[9:]
	} else if len(t) == 38 && t[0] == '{' && t[37] == '}' {
		t = t[1:37]
	}
	var h [32]byte
	switch len(t) {
	case 36:
		if t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
			return u, fmt.Errorf("bxl: invalid uuid %q", s)
		}
		copy(h[0:8], t[0:8])
		copy(h[8:12], t[9:13])
		copy(h[12:16], t[14:18])
		copy(h[16:20], t[19:23])
		copy(h[20:32], t[24:36])
	case 32:
		copy(h[:], t)
	default:
		return u, fmt.Errorf("bxl: invalid uuid %q", s)
	}
	if _, err := hex.Decode(u[:], h[:]); err != nil {
		return UUID{}, fmt.Errorf("bxl: invalid uuid %q", s)
	}
	return u, nil
}

// String returns the lowercase canonical form.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
