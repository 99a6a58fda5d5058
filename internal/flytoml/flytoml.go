// Package flytoml reads the few fields jpops needs from an app's fly.toml:
// the app name (so -a can be omitted in the deploy directory), a pre-built
// image, and the health checks' grace periods. It reads leniently: a field
// jpops does not need never stops it finding the app name.
package flytoml

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/jpops-dev/jpops/internal/boundedfile"
)

// File is the part of fly.toml jpops reads; everything else is ignored.
type File struct {
	App           string
	PrimaryRegion string
	// Image is [build] image: the deploy uses this pre-built image and
	// builds nothing (docs/fly-platform.md, "Deploy output").
	Image  string
	Checks []Check
}

// Check is one health check: [[http_service.checks]],
// [[services.http_checks]], [[services.tcp_checks]] or a top-level [checks.NAME].
type Check struct {
	Name        string // top-level checks only
	Path        string
	GracePeriod time.Duration // 0 when unset or unreadable
}

// Parse decodes fly.toml text.
func Parse(data []byte) (File, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return File{}, err
	}
	f := File{App: str(doc["app"]), PrimaryRegion: str(doc["primary_region"])}
	if b, ok := doc["build"].(map[string]any); ok {
		f.Image = str(b["image"])
	}
	if hs, ok := doc["http_service"].(map[string]any); ok {
		f.Checks = append(f.Checks, checks(hs["checks"])...)
	}
	for _, s := range tables(doc["services"]) {
		f.Checks = append(f.Checks, checks(s["http_checks"])...)
		f.Checks = append(f.Checks, checks(s["tcp_checks"])...)
	}
	if top, ok := doc["checks"].(map[string]any); ok {
		names := make([]string, 0, len(top))
		for name := range top {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if c, ok := top[name].(map[string]any); ok {
				chk := check(c)
				chk.Name = name
				f.Checks = append(f.Checks, chk)
			}
		}
	}
	return f, nil
}

// GracePeriod is the longest grace period of the file's checks, or 0.
func (f File) GracePeriod() time.Duration {
	var longest time.Duration
	for _, c := range f.Checks {
		longest = max(longest, c.GracePeriod)
	}
	return longest
}

func checks(v any) []Check {
	var out []Check
	for _, t := range tables(v) {
		out = append(out, check(t))
	}
	return out
}

func check(t map[string]any) Check {
	return Check{Path: str(t["path"]), GracePeriod: duration(t["grace_period"])}
}

// tables reads an array of tables (or a single table) leniently.
func tables(v any) []map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return []map[string]any{t}
	case []any:
		var out []map[string]any
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case []map[string]any:
		return t
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// duration reads a fly.toml check time: "10s", or a bare number of
// milliseconds, as flyctl's config loader converts it.
func duration(v any) time.Duration {
	switch d := v.(type) {
	case string:
		p, err := time.ParseDuration(d)
		if err != nil {
			return 0
		}
		return p
	case int64:
		if d <= 0 || d > math.MaxInt64/int64(time.Millisecond) {
			return 0
		}
		return time.Duration(d) * time.Millisecond
	case float64:
		ns := d * float64(time.Millisecond)
		if ns <= 0 || ns >= math.MaxInt64 || math.IsNaN(ns) {
			return 0
		}
		return time.Duration(ns)
	}
	return 0
}

// MaxSize bounds fly.toml: real ones are a few KiB.
const MaxSize = 1 << 20

// Load reads fly.toml from dir. A missing file returns os.ErrNotExist.
func Load(dir string) (File, error) {
	path := filepath.Join(dir, "fly.toml")
	data, err := boundedfile.ReadFile(path, MaxSize, "fly.toml")
	if err != nil {
		return File{}, err
	}
	f, err := Parse(data)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
