package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Load reads a configuration file, fills defaults and checks every value.
// Its error, an *Error, lists every problem found, each with file, line and
// setting.
func Load(path string) (*Config, error) {
	c, err := Parse(path)
	if err != nil {
		return nil, err
	}
	if err := c.Normalize(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse reads a configuration file without filling defaults, keeping where
// each setting is so later checks can name its line.
func Parse(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	f, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return nil, &Error{Diags: diags}
	}
	c := Config{File: path, ranges: map[string]hcl.Range{}}
	if body, ok := f.Body.(*hclsyntax.Body); ok {
		collectRanges(body, "", c.ranges)
	}
	if diags := gohcl.DecodeBody(f.Body, nil, &c); diags.HasErrors() {
		for _, d := range diags {
			if s := c.settingAt(d.Subject); s != "" {
				d.Summary = s + ": " + d.Summary
			}
		}
		return nil, &Error{Diags: diags}
	}
	return &c, nil
}

// settingAt is the attribute whose range holds r's start ("" if none).
func (c *Config) settingAt(r *hcl.Range) string {
	if r == nil {
		return ""
	}
	best := ""
	for name, ar := range c.ranges {
		if !ar.ContainsPos(r.Start) {
			continue
		}
		// The deepest setting; of a block's two names ("sandbox.workers",
		// "sandbox[0].workers") the plain one.
		n, b := len(stripIndex(name)), len(stripIndex(best))
		if n > b || n == b && len(name) < len(best) {
			best = name
		}
	}
	return best
}

// stripIndex drops the positions collectRanges adds ("[0]").
func stripIndex(name string) string {
	for {
		i := strings.IndexByte(name, '[')
		j := strings.IndexByte(name, ']')
		if i < 0 || j < i {
			return name
		}
		name = name[:i] + name[j+1:]
	}
}

// collectRanges records each attribute's range under its path: "state_dir",
// "limits.memory", "launcher.PythonLauncher.runtime"; a block's own range
// under its path ("limits", "launcher.PythonLauncher"); an unlabeled block's
// also under its position ("classifier.rule[0]").
func collectRanges(b *hclsyntax.Body, prefix string, out map[string]hcl.Range) {
	for name, a := range b.Attributes {
		out[prefix+name] = a.SrcRange
	}
	nth := map[string]int{}
	for _, blk := range b.Blocks {
		p := prefix + strings.Join(append([]string{blk.Type}, blk.Labels...), ".")
		out[p] = blk.DefRange()
		collectRanges(blk.Body, p+".", out)
		if len(blk.Labels) == 0 {
			// Repeated unlabeled blocks (classifier rules) by position too:
			// "classifier.rule[1].pool".
			q := fmt.Sprintf("%s[%d]", p, nth[p])
			nth[p]++
			out[q] = blk.DefRange()
			collectRanges(blk.Body, q+".", out)
		}
	}
}

// Set reports whether the file gives setting (a path as in collectRanges).
func (c *Config) Set(setting string) bool {
	_, ok := c.ranges[setting]
	return ok
}

// Problem is an error diagnostic about setting ("limits.memory"), placed
// at its line in the file when the file gives it.
func (c *Config) Problem(setting, format string, args ...any) *hcl.Diagnostic {
	return c.diag(hcl.DiagError, setting, format, args...)
}

// Where is "FILE:LINE: SETTING", where the file gives setting (or its
// block), to prefix an error that is not about a value's form.
func (c *Config) Where(setting string) string {
	d := c.diag(hcl.DiagError, setting, "")
	return FormatDiag(d)
}

// Warning is Problem's warning form.
func (c *Config) Warning(setting, format string, args ...any) *hcl.Diagnostic {
	return c.diag(hcl.DiagWarning, setting, format, args...)
}

func (c *Config) diag(sev hcl.DiagnosticSeverity, setting, format string, args ...any) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: sev, Summary: setting, Detail: fmt.Sprintf(format, args...)}
	r, ok := c.ranges[setting]
	for s := setting; !ok && strings.Contains(s, "."); {
		s = s[:strings.LastIndex(s, ".")]
		r, ok = c.ranges[s] // the enclosing block, for a setting left out
	}
	if ok {
		d.Subject = &r
	} else if c.File != "" {
		d.Subject = &hcl.Range{Filename: c.File}
	}
	return d
}

// SortDiags orders diagnostics by file and line.
func SortDiags(d hcl.Diagnostics) {
	key := func(x *hcl.Diagnostic) (string, int) {
		if x.Subject == nil {
			return "", 0
		}
		return x.Subject.Filename, x.Subject.Start.Line
	}
	sort.SliceStable(d, func(i, j int) bool {
		fi, li := key(d[i])
		fj, lj := key(d[j])
		return fi < fj || fi == fj && li < lj
	})
}

// Error is a configuration's problems, every one of them.
type Error struct{ Diags hcl.Diagnostics }

// Error lists one problem a line: "FILE:LINE: SETTING: what is wrong".
func (e *Error) Error() string {
	var lines []string
	for _, d := range e.Diags {
		if d.Severity == hcl.DiagError {
			lines = append(lines, FormatDiag(d))
		}
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// FormatDiag is "FILE:LINE: SUMMARY: DETAIL" (no line when the setting is
// not in the file, no file for a configuration built in code).
func FormatDiag(d *hcl.Diagnostic) string {
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	if d.Severity == hcl.DiagWarning {
		msg = "warning: " + msg
	}
	if d.Subject == nil || d.Subject.Filename == "" {
		return msg
	}
	if d.Subject.Start.Line == 0 {
		return d.Subject.Filename + ": " + msg
	}
	return fmt.Sprintf("%s:%d: %s", d.Subject.Filename, d.Subject.Start.Line, msg)
}
