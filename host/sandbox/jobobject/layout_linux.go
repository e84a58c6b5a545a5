package jobobject

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup1"
)

// Options say where the cgroup hierarchies are and where job groups go.
type Options struct {
	// Root is where cgroup file systems are mounted. Default /sys/fs/cgroup.
	Root string
	// Parent is the group (one or more slash-separated names) that holds the
	// job groups. Default "launchpad".
	Parent string
	// SelfCgroup is the caller's /proc/<pid>/cgroup, read when a hierarchy
	// root is not writable and the parent is nested under our own group.
	// Default /proc/self/cgroup.
	SelfCgroup string
}

// v1Controllers are the v1 hierarchies a job needs: limits (memory, pids,
// cpu), accounting (cpuacct) and an atomic stop for Kill (freezer).
var v1Controllers = []cgroup1.Name{cgroup1.Memory, cgroup1.Pids, cgroup1.Cpu, cgroup1.Cpuacct, cgroup1.Freezer}

// v2Controllers must be enabled on a v2 host.
var v2Controllers = []string{"memory", "pids", "cpu"}

// Layout is the detected cgroup layout with the parent groups created.
type Layout struct {
	Version Version
	root    string
	// v1Parents maps each v1 controller to the parent's path relative to
	// that controller's mount.
	v1Parents map[cgroup1.Name]string
	// unifiedMount is the v2 mount: Root itself on v2, Root/unified on a
	// hybrid host (used there only to track and kill), "" when absent.
	unifiedMount  string
	unifiedParent string
	// Nested is true when at least one parent sits under our own cgroup
	// because the hierarchy root was not writable.
	Nested bool
}

// Detect inspects the hierarchies under opts.Root, picks v1 or v2, checks
// the controllers a job needs and creates the parent groups (Setup). It
// returns an error wrapping ErrControllerMissing naming a missing controller.
func Detect(opts Options) (*Layout, error) {
	if opts.Root == "" {
		opts.Root = "/sys/fs/cgroup"
	}
	if opts.Parent == "" {
		opts.Parent = "launchpad"
	}
	if opts.SelfCgroup == "" {
		opts.SelfCgroup = "/proc/self/cgroup"
	}
	for _, seg := range strings.Split(opts.Parent, "/") {
		if err := checkName("cgroup parent", seg); err != nil {
			return nil, err
		}
	}
	self, err := readSelfCgroup(opts.SelfCgroup)
	if err != nil {
		return nil, err
	}
	l := &Layout{root: opts.Root}
	if _, err := os.Stat(filepath.Join(opts.Root, "cgroup.controllers")); err == nil {
		l.Version = V2
		if err := l.setupV2(opts, self); err != nil {
			return nil, err
		}
		return l, nil
	}
	l.Version = V1
	l.v1Parents = make(map[cgroup1.Name]string)
	for _, c := range v1Controllers {
		mount := filepath.Join(opts.Root, string(c))
		if _, err := os.Stat(filepath.Join(mount, "cgroup.procs")); err != nil {
			return nil, fmt.Errorf("%s controller %q not mounted at %s: %w", l.Version, c, mount, ErrControllerMissing)
		}
		p, nested, err := makeParent(mount, opts.Parent, self[string(c)])
		if err != nil {
			return nil, fmt.Errorf("%s controller %q: %w", l.Version, c, err)
		}
		l.v1Parents[c] = p
		l.Nested = l.Nested || nested
	}
	// The hybrid layout's controller-less v2 mount gives us cgroup.kill and an
	// exact process list; it is a bonus, not a requirement (freezer does the job).
	unified := filepath.Join(opts.Root, "unified")
	if _, err := os.Stat(filepath.Join(unified, "cgroup.procs")); err == nil {
		if p, nested, err := makeParent(unified, opts.Parent, self[""]); err == nil {
			l.unifiedMount, l.unifiedParent = unified, p
			l.Nested = l.Nested || nested
		}
	}
	return l, nil
}

func (l *Layout) setupV2(opts Options, self map[string]string) error {
	raw, err := os.ReadFile(filepath.Join(opts.Root, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("read cgroup.controllers: %w", err)
	}
	have := strings.Fields(string(raw))
	for _, c := range v2Controllers {
		if !slices.Contains(have, c) {
			return fmt.Errorf("%s controller %q not in %s/cgroup.controllers: %w", V2, c, opts.Root, ErrControllerMissing)
		}
	}
	p, nested, err := makeParent(opts.Root, opts.Parent, self[""])
	if err != nil {
		return fmt.Errorf("%s: %w", V2, err)
	}
	l.unifiedMount, l.unifiedParent, l.Nested = opts.Root, p, nested
	return nil
}

// makeParent creates parent under the hierarchy root, or under own (our
// group in that hierarchy) when the root refuses us. It returns the path
// relative to the mount.
func makeParent(mount, parent, own string) (string, bool, error) {
	rel := "/" + parent
	err := mkdirAll(filepath.Join(mount, rel), 0o755)
	if err == nil {
		return rel, false, nil
	}
	if !errors.Is(err, os.ErrPermission) && !errors.Is(err, errReadOnly) {
		return "", false, fmt.Errorf("create %s: %w", filepath.Join(mount, rel), err)
	}
	if own == "" || own == "/" {
		return "", false, fmt.Errorf("create %s: %v: %w", filepath.Join(mount, rel), err, ErrNotWritable)
	}
	rel = path.Join(own, parent)
	if err2 := mkdirAll(filepath.Join(mount, rel), 0o755); err2 != nil {
		return "", false, fmt.Errorf("root refused (%v), own group refused too: %v: %w", err, err2, ErrNotWritable)
	}
	return rel, true, nil
}

// mkdirAll is os.MkdirAll; tests replace it to simulate a root that refuses
// us even though they run as root.
var mkdirAll = os.MkdirAll

// readSelfCgroup maps a controller name ("" for v2) to our group path.
func readSelfCgroup(p string) (map[string]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read own cgroup: %w", err)
	}
	defer f.Close()
	out := make(map[string]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-id:controller-list:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[strings.TrimPrefix(c, "name=")] = parts[2]
		}
	}
	return out, sc.Err()
}

// ParentDirs lists the absolute parent directories of every hierarchy used.
func (l *Layout) ParentDirs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, c := range v1Controllers {
		if p, ok := l.v1Parents[c]; ok {
			add(filepath.Join(l.root, string(c), p))
		}
	}
	if l.unifiedMount != "" {
		add(filepath.Join(l.unifiedMount, l.unifiedParent))
	}
	return out
}

// Teardown removes the (empty) parent groups Detect created. Job groups
// must be gone; a busy parent is reported, not forced.
func (l *Layout) Teardown() error {
	var errs []error
	for _, d := range l.ParentDirs() {
		if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Describe is a one-line summary for logs.
func (l *Layout) Describe() string {
	s := fmt.Sprintf("%s parents=%v", l.Version, l.ParentDirs())
	if l.Nested {
		s += " nested"
	}
	return s
}
