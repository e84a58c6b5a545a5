// Package untrusted turns text that came from inside a job's sandbox (a
// launcher's log lines, a runtime's error report) into text the host may
// log: bounded in size, free of control characters, terminal escapes and
// line breaks, so that it can neither flood the host's log nor pass for a
// line the host wrote.
package untrusted
