package confine

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The job's seccomp profile: default allow, with a deny list of the system
// calls Docker's default profile also keeps from an unprivileged container
// (docs/isolation.md gives the reason for each group). A deny list, not
// Docker's allow list, because the job is already an unprivileged uid with an
// empty bounding set and no_new_privs: most of what Docker's allow list
// leaves out would fail on capabilities anyway, and a list of ~350 allowed
// calls breaks runtimes on the next glibc. What the list denies is the
// attack surface an unprivileged uid still has: keyrings, tracing, new
// namespaces, kernel subsystems with a history of privilege escalations.

// nsFlags are every namespace flag of clone and unshare. CLONE_NEWTIME
// (0x80) shares its bit with clone's exit signal, so it is only checked for
// unshare; clone3 is refused as a whole.
const nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET

// unsafePersonality are personality(2) flags that weaken exploit defences
// (Docker allows only a few known-safe personas): ADDR_NO_RANDOMIZE,
// MMAP_PAGE_ZERO, ADDR_COMPAT_LAYOUT, READ_IMPLIES_EXEC (<linux/personality.h>).
const unsafePersonality = 0x0040000 | 0x0100000 | 0x0200000 | 0x0400000

// Socket families a job never needs: raw link-layer frames, the kernel
// crypto API, IPsec key management, VM sockets.
var deniedSocketFamilies = []uint64{unix.AF_PACKET, unix.AF_ALG, unix.AF_KEY, unix.AF_VSOCK}

// deniedSyscalls are refused with EPERM, by group (see docs/isolation.md).
var deniedSyscalls = [][]string{
	// Kernel keyrings: shared per uid across jobs, and the host's session keyring.
	{"add_key", "request_key", "keyctl"},
	// Reading or steering another process of the job (the launcher).
	{"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise"},
	// Namespaces, mounts and file handles: container escapes.
	{"setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
		"move_mount", "open_tree", "mount_setattr", "open_by_handle_at", "name_to_handle_at"},
	// Kernel subsystems with a record of unprivileged exploits.
	{"bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
		"fanotify_init", "lookup_dcookie", "modify_ldt"},
	// The machine, not the job: modules, kexec, swap, clock, reboot, accounting, kernel log.
	{"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "swapon", "swapoff",
		"reboot", "acct", "quotactl", "quotactl_fd", "settimeofday", "clock_settime", "clock_adjtime",
		"adjtimex", "syslog", "sethostname", "setdomainname", "vhangup", "iopl", "ioperm",
		"move_pages", "migrate_pages", "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl"},
}

// jobPolicy is the seccomp policy of every job under full isolation.
func jobPolicy() seccomp.Policy {
	eperm := seccomp.ActionErrno | seccomp.Action(unix.EPERM)
	var groups []seccomp.SyscallGroup
	for _, names := range deniedSyscalls {
		groups = append(groups, seccomp.SyscallGroup{Names: names, Action: eperm})
	}
	groups = append(groups,
		seccomp.SyscallGroup{NamesWithCondtions: conditionalDenies(), Action: eperm},
		// clone3 passes its flags in memory a filter cannot read. ENOSYS
		// (as Docker does) makes glibc fall back to clone, which is checked.
		seccomp.SyscallGroup{Names: []string{"clone3"}, Action: seccomp.ActionErrno | seccomp.Action(unix.ENOSYS)},
	)
	return seccomp.Policy{DefaultAction: seccomp.ActionAllow, Syscalls: groups}
}

// conditionalDenies refuses calls by argument: new namespaces, unsafe
// personalities, raw and crypto sockets, terminal input injection.
func conditionalDenies() []seccomp.NameWithConditions {
	bits := func(name string, arg uint32, mask uint64) seccomp.NameWithConditions {
		return seccomp.NameWithConditions{Name: name, Conditions: seccomp.ArgumentConditions{
			{Argument: arg, Operation: seccomp.BitsSet, Value: mask}}}
	}
	eq := func(name string, arg uint32, v uint64) seccomp.NameWithConditions {
		return seccomp.NameWithConditions{Name: name, Conditions: seccomp.ArgumentConditions{
			{Argument: arg, Operation: seccomp.Equal, Value: v}}}
	}
	out := []seccomp.NameWithConditions{
		bits("clone", 0, nsFlags),
		bits("unshare", 0, nsFlags|unix.CLONE_NEWTIME),
		// personality(0xffffffff) only queries the persona.
		{Name: "personality", Conditions: seccomp.ArgumentConditions{
			{Argument: 0, Operation: seccomp.BitsSet, Value: unsafePersonality},
			{Argument: 0, Operation: seccomp.NotEqual, Value: 0xffffffff}}},
		eq("ioctl", 1, unix.TIOCSTI),
		eq("ioctl", 1, unix.TIOCLINUX),
	}
	for _, fam := range deniedSocketFamilies {
		out = append(out, eq("socket", 0, fam), eq("socketpair", 0, fam))
	}
	return out
}

// errUnsupportedArch: the profile is written for x86_64 system call numbers.
var errUnsupportedArch = errors.New("seccomp profile exists only for x86_64 (amd64)")

// seccompProgram assembles the job policy behind an architecture guard: a
// call made through another ABI (32-bit int 0x80 on x86_64) has other
// numbers and would slip past every rule, so it is killed. x32 calls are
// refused with ENOSYS by the library.
func seccompProgram() ([]unix.SockFilter, error) {
	if runtime.GOARCH != "amd64" {
		return nil, fmt.Errorf("%w: running on %s", errUnsupportedArch, runtime.GOARCH)
	}
	p := jobPolicy()
	insts, err := p.Assemble()
	if err != nil {
		return nil, fmt.Errorf("assemble seccomp policy: %w", err)
	}
	guard := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, // seccomp_data.arch
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(arch.X86_64.ID), SkipTrue: 1},
		bpf.RetConstant{Val: uint32(seccomp.ActionKillProcess)},
	}
	raw, err := bpf.Assemble(append(guard, insts...))
	if err != nil {
		return nil, fmt.Errorf("assemble seccomp program: %w", err)
	}
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out, nil
}

// CheckSeccomp tells NewManager whether jobs can get their filter here.
func CheckSeccomp() error {
	if _, err := seccompProgram(); err != nil {
		return err
	}
	if !seccomp.Supported() {
		return errors.New("seccomp filters unsupported by the kernel")
	}
	return nil
}

// installSeccomp loads the job's filter on every thread (TSYNC). It needs
// no_new_privs (set before) and must come last before execveat: the
// filter denies calls that the sandbox set-up itself makes.
func installSeccomp() error {
	prog, err := seccompProgram()
	if err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return fmt.Errorf("load seccomp filter: %w", errno)
	}
	return nil
}
