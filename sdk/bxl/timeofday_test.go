package bxl

import (
	"testing"
	"time"
)

func TestFormatTimeOfDay(t *testing.T) {
	cases := map[time.Duration]string{
		0: "00:00:00",
		13*time.Hour + 45*time.Minute + 500*time.Millisecond:                     "13:45:00.5",
		23*time.Hour + 59*time.Minute + 59*time.Second + 999999*time.Microsecond: "23:59:59.999999",
		time.Second + 120*time.Microsecond:                                       "00:00:01.00012",
	}
	for d, want := range cases {
		if got := FormatTimeOfDay(d); got != want {
			t.Errorf("FormatTimeOfDay(%v) = %q, want %q", d, got, want)
		}
	}
}
