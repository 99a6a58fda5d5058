package cli

import (
	"errors"
	"fmt"
	"github.com/jpops-dev/jpops/internal/state"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flytoml"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/runbook"
)

// appFlags are shared by the commands that act on one app.
type appFlags struct {
	app    string
	config string // directory holding fly.toml
}

func (a *appFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&a.app, "app", "a", "", "Fly app name (default: FLY_APP, then app in fly.toml)")
	cmd.Flags().StringVarP(&a.config, "config", "c", "", "directory of the app's fly.toml (default: the current directory)")
}

// resolve finds the app: -a, FLY_APP, then fly.toml in --config, dir or
// the current directory.
func (a *appFlags) resolve(getenv func(string) string, dir string) (string, error) {
	if a.app != "" {
		return a.app, nil
	}
	if v := getenv("FLY_APP"); v != "" {
		return v, nil
	}
	cfgDir := a.config
	if cfgDir == "" {
		cfgDir = dir
	}
	if cfgDir == "" {
		cfgDir = "."
	}
	f, err := flytoml.Load(cfgDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", usageError("cannot read the app name from fly.toml: %v", err)
	case f.App != "":
		return f.App, nil
	}
	return "", usageError("no app given: pass -a APP, set FLY_APP, or run where fly.toml names the app")
}

// appTarget is what every command acting on one app starts from: the app,
// resolved from the flags before the command runs, and the factory's lazy
// builders of the runbook and the Fly client.
type appTarget struct {
	App       string
	Runbook   func() (*runbook.Runbook, error)
	FlyClient func() (*flyapi.HTTPClient, error)
}

func newAppTarget(f *Factory) appTarget {
	return appTarget{Runbook: f.Runbook, FlyClient: f.FlyClient}
}

// load builds the runbook, then the Fly client: a bad runbook file is
// reported before a missing token.
func (t appTarget) load() (*runbook.Runbook, *flyapi.HTTPClient, error) {
	rb, err := t.Runbook()
	if err != nil {
		return nil, nil, err
	}
	fly, err := t.FlyClient()
	if err != nil {
		return nil, nil, err
	}
	return rb, fly, nil
}

// styler decorates the human report on a colour terminal, and nothing else.
func styler(io *iostreams.IOStreams) report.Styler {
	if !io.ColorEnabled() {
		return report.Styler{}
	}
	mk := func(s lipgloss.Style) func(string) string { return func(t string) string { return s.Render(t) } }
	return report.Styler{
		Bold:  mk(lipgloss.NewStyle().Bold(true)),
		Bad:   mk(lipgloss.NewStyle().Foreground(lipgloss.Color("1"))),
		Good:  mk(lipgloss.NewStyle().Foreground(lipgloss.Color("2"))),
		Warn:  mk(lipgloss.NewStyle().Foreground(lipgloss.Color("3"))),
		Faint: mk(lipgloss.NewStyle().Faint(true)),
	}
}

// parseNow reads --now, for reproducible scans of saved logs.
func parseNow(now func() time.Time, s string) (time.Time, error) {
	if s == "" {
		return now(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, usageError("--now %q: want an RFC3339 time like 2026-05-11T12:25:00Z", s)
	}
	return t, nil
}

func absDir(dir string) string {
	if dir == "" {
		dir = "."
	}
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}

// writeFileAtomic writes data to path through a temporary file beside it,
// synced before it is renamed over path, so a reader never sees half a
// file and a crash leaves the old file or the new one. A symlink is written
// through, as a plain write would, and stays a link; a directory is refused
// before anything is written; nothing temporary is left behind on failure.
func writeFileAtomic(path string, data []byte) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("write %s: it is a directory: name a file in it, such as %s", path, filepath.Join(path, "postmortem.md"))
	}
	// 0644 whatever the umask, like the drafts written before.
	if err := state.ReplaceFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
