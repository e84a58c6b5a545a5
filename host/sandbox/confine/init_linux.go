package confine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// Spec is what the host tells sandbox-init, as one JSON argument. It
// carries no secrets: argv is visible in /proc.
type Spec struct {
	Full      bool     `json:"full"`
	Dir       string   `json:"dir"`
	TmpDir    string   `json:"tmp_dir"`
	UID       int      `json:"uid"`
	GID       int      `json:"gid"`
	ExeFD     int      `json:"exe_fd"`
	GateFD    int      `json:"gate_fd"`
	ReadOnly  []string `json:"read_only"`
	OpenFiles uint64   `json:"open_files"`
	FileBytes uint64   `json:"file_bytes"`
	Argv      []string `json:"argv"`
}

// jobHostname is the job's hostname inside its UTS namespace.
const jobHostname = "launchpad-job"

// rwDevices may be opened read-write (and ioctl'ed: isatty probes) by a job.
var rwDevices = []string{"/dev/null", "/dev/zero", "/dev/full"}

// roDevices may be read.
var roDevices = []string{"/dev/urandom", "/dev/random"}

// Main is the body of `launchpad sandbox-init <spec>`. It returns only on
// failure (with a message on stderr); on success the process becomes the
// launcher.
func Main(args []string) int {
	// prctl(NO_NEW_PRIVS), capability drops and execveat act on the calling
	// thread: keep them all on one.
	runtime.LockOSThread()
	if err := initMain(args); err != nil {
		fmt.Fprintf(os.Stderr, "launchpad sandbox-init: %v\n", err)
		return 126
	}
	return 126 // unreachable: initMain only returns errors
}

func initMain(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want one spec argument, got %d", len(args))
	}
	var s Spec
	if err := json.Unmarshal([]byte(args[0]), &s); err != nil {
		return fmt.Errorf("parse spec: %w", err)
	}
	if len(s.Argv) == 0 {
		return errors.New("spec has no argv")
	}
	hostPID := os.Getppid()
	if s.Full {
		if err := waitGate(s.GateFD); err != nil {
			return err
		}
		if err := setupFull(&s); err != nil {
			return err
		}
	}
	if err := dieWithHost(&s, hostPID); err != nil {
		return fmt.Errorf("die with host: %w", err)
	}
	if s.Full {
		// Last: the filter denies calls the set-up above makes.
		if err := installSeccomp(); err != nil {
			return fmt.Errorf("seccomp: %w", err)
		}
	}
	// The launcher must not inherit its own executable's fd. The launcher is
	// an ELF binary, so a close-on-exec fd is fine for execveat.
	unix.CloseOnExec(s.ExeFD)
	return execveat(s.ExeFD, s.Argv, os.Environ())
}

// waitGate blocks until the host has placed us in the job's cgroups and
// writes one byte. EOF means the host gave up (or died): do not run. The
// gate stays open: dieWithHost watches it and closes it.
func waitGate(fd int) error {
	var b [1]byte
	for {
		n, err := syscall.Read(fd, b[:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read gate: %w", err)
		}
		if n != 1 {
			return errors.New("gate closed before the job was placed in its cgroups")
		}
		return nil
	}
}

func setupFull(s *Spec) error {
	steps := []struct {
		name string
		fn   func(*Spec) error
	}{
		{"mounts", setupMounts},
		{"other jobs' disks", dropOtherJobDisks},
		{"hostname", func(*Spec) error { return unix.Sethostname([]byte(jobHostname)) }},
		{"loopback", func(*Spec) error { return loopbackUp() }},
		{"rlimits", setRlimits},
		{"session keyring", func(*Spec) error { return joinFreshSessionKeyring() }},
		{"drop privileges", dropPrivileges},
		{"chdir", func(s *Spec) error { return os.Chdir(s.Dir) }},
		{"no_new_privs", func(*Spec) error { return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }},
		{"landlock", applyLandlock},
	}
	for _, st := range steps {
		if err := st.fn(s); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

// setupMounts runs in our new mount namespace as root: nothing propagates
// back to the host, /proc shows only the job's PID namespace, /tmp is the
// job's own folder and /dev/shm a fresh tmpfs (charged to the job's memory).
func setupMounts(s *Spec) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	if err := unix.Mount(s.TmpDir, "/tmp", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on /tmp: %w", s.TmpDir, err)
	}
	if err := unix.Mount("", "/tmp", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("remount /tmp nosuid: %w", err)
	}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if err := unix.Mount("tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=64m"); err != nil {
			return fmt.Errorf("mount /dev/shm: %w", err)
		}
	}
	return nil
}

// loopbackUp brings up lo in the job's new network namespace; it is the only
// interface there, so the job reaches nothing but itself.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

func setRlimits(s *Spec) error {
	lims := []struct {
		res int
		v   uint64
	}{
		{unix.RLIMIT_CORE, 0}, // no core dumps: they would carry job data to disk
		{unix.RLIMIT_NOFILE, s.OpenFiles},
	}
	if s.FileBytes > 0 {
		lims = append(lims, struct {
			res int
			v   uint64
		}{unix.RLIMIT_FSIZE, s.FileBytes})
	}
	for _, l := range lims {
		// soft = hard: the job cannot raise them again.
		if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: l.v, Max: l.v}); err != nil {
			return fmt.Errorf("rlimit %d: %w", l.res, err)
		}
	}
	return nil
}

// dropPrivileges empties the capability bounding set, then becomes the
// worker uid/gid with no supplementary groups. Go applies set*id to every
// thread of the process.
func dropPrivileges(s *Spec) error {
	last := 40
	if raw, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
			last = n
		}
	}
	for c := 0; c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("drop capability %d from bounding set: %w", c, err)
		}
	}
	if s.UID <= 0 || s.GID <= 0 {
		return fmt.Errorf("refusing uid %d gid %d", s.UID, s.GID)
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setresgid(s.GID, s.GID, s.GID); err != nil {
		return fmt.Errorf("setresgid: %w", err)
	}
	if err := syscall.Setresuid(s.UID, s.UID, s.UID); err != nil {
		return fmt.Errorf("setresuid: %w", err)
	}
	if os.Getuid() != s.UID || os.Geteuid() != s.UID || os.Getegid() != s.GID {
		return errors.New("uid/gid did not change")
	}
	return nil
}

// LandlockConfig restricts every file access right and IPC scope the kernel
// knows (up to the newest ABI go-landlock supports). Network rights are left
// to the network namespace: TCP on the job's own loopback is harmless and
// some runtimes (R's parallel PSOCK clusters) need it.
func LandlockConfig() (landlock.Config, int, error) {
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil || abi < 1 {
		return landlock.Config{}, 0, fmt.Errorf("landlock unavailable (kernel or boot lsm= list): %v", err)
	}
	versions := []landlock.Config{landlock.V1, landlock.V2, landlock.V3, landlock.V4, landlock.V5,
		landlock.V6, landlock.V7, landlock.V8, landlock.V9, landlock.V10, landlock.V11}
	v := versions[min(abi, len(versions))-1]
	return landlock.Config{HandledAccessFS: v.HandledAccessFS, Scoped: v.Scoped}, abi, nil
}

func applyLandlock(s *Spec) error {
	cfg, _, err := LandlockConfig()
	if err != nil {
		return err
	}
	var rules []landlock.Rule
	for _, p := range s.ReadOnly {
		fi, err := os.Stat(p)
		if err != nil {
			continue // configured but absent on this host
		}
		if fi.IsDir() {
			rules = append(rules, landlock.RODirs(p))
		} else {
			rules = append(rules, landlock.ROFiles(p))
		}
	}
	rules = append(rules,
		landlock.RWFiles(rwDevices...).WithIoctlDev().IgnoreIfMissing(),
		landlock.ROFiles(roDevices...).IgnoreIfMissing(),
		// The job folder holds the staged runtime file and the plugin's
		// socket directory; /tmp is bound from inside it but Landlock
		// follows mounts, not inodes, so it needs its own rule.
		landlock.RWDirs(s.Dir, "/tmp"),
		landlock.RWDirs("/dev/shm").IgnoreIfMissing(),
	)
	return cfg.Restrict(rules...)
}

// execveat executes the file open at fd (AT_EMPTY_PATH): the bytes the host
// verified, never a path that could have been swapped since.
func execveat(fd int, argv, env []string) error {
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return err
	}
	empty, err := syscall.BytePtrFromString("")
	if err != nil {
		return err
	}
	_, _, errno := syscall.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])), uintptr(unix.AT_EMPTY_PATH), 0)
	return fmt.Errorf("execveat launcher fd %d: %w", fd, errno)
}
