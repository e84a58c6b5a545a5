package launcher

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// forbidTracing makes the launcher non-dumpable: its /proc files (mem,
// environ, fd) become root's, and ptrace, process_vm_* and pidfd_getfd by the
// job's own code (the runtime runs as the same uid) are refused. The kernel
// resets the flag on every execve, so only the launcher itself can set it,
// before it starts the runtime. The runtime, exec'd afterwards, is dumpable
// again: it is the script's own process.
func forbidTracing() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	return nil
}
