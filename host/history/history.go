package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/openlaunchpad/launchpad/host/job"
)

// DefaultKeep is how many ended jobs a host remembers by default.
const DefaultKeep = 1000

// FileName is the history file's name in the state folder.
const FileName = "job-history.jsonl"

// maxLineBytes bounds one line read back from the file: an Info is well
// under 2 KiB (its error is cut to 512 bytes); a longer line is damage.
const maxLineBytes = 64 << 10

// Store is a host's job history. It is a job.Observer.
type Store struct {
	path string
	keep int
	log  hclog.Logger

	// mu guards the fields below.
	mu      sync.Mutex
	running map[string]*job.Live
	ended   []job.Info // oldest first, at most keep
	lines   int        // lines in the file
}

var _ job.Observer = (*Store)(nil)

// Open loads the history kept in stateDir, remembering at most keep ended
// jobs (DefaultKeep when keep <= 0). A torn last line (a crash mid-append)
// is skipped.
func Open(stateDir string, keep int, logger hclog.Logger) (*Store, error) {
	if keep <= 0 {
		keep = DefaultKeep
	}
	s := &Store{path: filepath.Join(stateDir, FileName), keep: keep, log: logger.Named("history"),
		running: map[string]*job.Live{}}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("job history %s: %w", s.path, err)
	}
	return s, nil
}

func (s *Store) load() error {
	f, err := os.OpenFile(s.path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	bad := 0
	for sc.Scan() {
		s.lines++
		var in job.Info
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil || in.ID == "" {
			bad++
			continue
		}
		s.ended = append(s.ended, in)
	}
	if err := sc.Err(); err != nil {
		// A damaged file must not keep the host from starting: keep what
		// was read; the next compaction rewrites the file.
		s.log.Warn("job history read stopped early", "path", s.path, "error", err)
		s.lines = 2 * s.keep
	}
	if bad > 0 {
		s.log.Warn("skipped unreadable job history lines", "lines", bad)
	}
	if len(s.ended) > s.keep {
		s.ended = append([]job.Info(nil), s.ended[len(s.ended)-s.keep:]...)
	}
	return nil
}

// JobQueued starts watching a job.
func (s *Store) JobQueued(l *job.Live) {
	in := l.Info()
	s.mu.Lock()
	s.running[in.ID] = l
	s.mu.Unlock()
}

// JobRunning changes nothing: a running job's Info is read live.
func (s *Store) JobRunning(*job.Live) {}

// JobEnded moves the job into the history and appends it to the file.
func (s *Store) JobEnded(l *job.Live) {
	in := l.Record()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[in.ID] == l {
		delete(s.running, in.ID)
	}
	s.ended = append(s.ended, in)
	if len(s.ended) > s.keep {
		// Copy now and then rather than reslice forever.
		s.ended = append(make([]job.Info, 0, s.keep+s.keep/4), s.ended[len(s.ended)-s.keep:]...)
	}
	if err := s.persist(in); err != nil {
		s.log.Error("job history not written", "job_id", in.ID, "error", err)
	}
}

// persist appends in, or rewrites the file with the kept jobs when it has
// grown past twice the bound. Called with mu held.
func (s *Store) persist(in job.Info) error {
	if s.lines+1 > 2*s.keep {
		return s.compact()
	}
	line, err := json.Marshal(in)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	// One write(2) per line on O_APPEND: a crash tears at most this line.
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		s.lines++
	}
	return err
}

// compact writes the kept jobs to a new file and renames it over the old
// one, so a crash leaves either file whole.
func (s *Store) compact() error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, in := range s.ended {
		if err := enc.Encode(in); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), FileName+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(buf.Bytes())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	s.lines = len(s.ended)
	return nil
}

// List returns the running and queued jobs first (oldest first), then up
// to limit ended jobs, newest first (limit <= 0: all kept).
func (s *Store) List(limit int) []job.Info {
	s.mu.Lock()
	live := make([]*job.Live, 0, len(s.running))
	for _, l := range s.running {
		live = append(live, l)
	}
	n := len(s.ended)
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]job.Info, 0, len(live)+n)
	for i := len(s.ended) - 1; i >= len(s.ended)-n; i-- {
		out = append(out, s.ended[i])
	}
	s.mu.Unlock()

	active := make([]job.Info, 0, len(live))
	for _, l := range live {
		active = append(active, l.Info())
	}
	sort.Slice(active, func(i, j int) bool { return active[i].Submitted.Before(active[j].Submitted) })
	return append(active, out...)
}
