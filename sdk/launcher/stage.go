package launcher

import (
	"fmt"
	"io/fs"
	"path"
)

// StageDir writes every file of dir in fsys (a launcher's embedded runtime)
// into the job's folder, where the runtime finds its parts beside its main
// file, and returns the staged path of main. A dir without main is an error:
// the runtime could not start.
func StageDir(req *RunRequest, fsys fs.FS, dir, main string) (string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return "", fmt.Errorf("embedded runtime: %w", err)
	}
	staged := ""
	for _, e := range entries {
		content, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return "", fmt.Errorf("embedded runtime %s: %w", e.Name(), err)
		}
		p, err := StageFile(req, e.Name(), content)
		if err != nil {
			return "", err
		}
		if e.Name() == main {
			staged = p
		}
	}
	if staged == "" {
		return "", fmt.Errorf("embedded runtime: %s is not in %s", main, dir)
	}
	return staged, nil
}
