package jobobject

import "syscall"

// errReadOnly matches a read-only cgroup mount (containers often mount it so).
var errReadOnly = syscall.EROFS
