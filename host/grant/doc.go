// Package grant decides what an authenticated caller may do: whether
// external scripts run at all (external_scripts_enabled), in which
// languages, which tables a job may read and write, which resource pools it
// may use, and whether the caller sees and cancels every caller's jobs
// (admin). Grants name subjects ("user:NAME", "group:NAME", "uid:N",
// "cert:COMMON-NAME"); every grant whose subject matches a caller counts,
// and their lists are united.
package grant
