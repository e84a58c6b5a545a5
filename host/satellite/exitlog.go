package satellite

import "github.com/hashicorp/go-hclog"

// exitLogger is the logger go-plugin gets. go-plugin logs a launcher that
// exited on a signal at ERROR, but the host itself kills the job object at
// the end of every job that did not end cleanly (a cancel, a time limit, a
// script error): that is routine, and the runner logs the job's verdict at
// its proper level. So the exit is logged at INFO, with its error.
type exitLogger struct{ hclog.Logger }

func (l exitLogger) Error(msg string, args ...any) {
	if msg == "plugin process exited" {
		l.Logger.Info(msg, args...)
		return
	}
	l.Logger.Error(msg, args...)
}
