package bxl

import (
	"fmt"
	"strings"
	"time"
)

// FormatTimeOfDay renders a time value (a duration since midnight) as
// "hh:mm:ss" with up to six fraction digits, trailing zeros dropped — the
// form SQL tools print and the Python and R runtimes accept.
func FormatTimeOfDay(d time.Duration) string {
	h := d / time.Hour
	m := (d % time.Hour) / time.Minute
	s := (d % time.Minute) / time.Second
	us := (d % time.Second) / time.Microsecond
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if us != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%06d", us), "0")
	}
	return out
}

// TimeOfDay is t's wall clock as a duration since midnight, the Go value of
// a BXL time.
func TimeOfDay(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}
