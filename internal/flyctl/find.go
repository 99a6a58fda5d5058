package flyctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// ErrNotFound says no flyctl was given or found on PATH.
var ErrNotFound = errors.New("flyctl not found: " + installHint)

// versionTimeout bounds `flyctl version`, which may check for updates.
const versionTimeout = 10 * time.Second

// Find returns the absolute path of the flyctl to run: flag (--flyctl PATH),
// then $JPOPS_FLYCTL, then flyctl, then fly on PATH. An explicit choice
// that does not resolve is an error, never a silent fallback. A nil getenv
// or lookPath means os.Getenv or exec.LookPath.
func Find(flag string, getenv func(string) string, lookPath func(string) (string, error)) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	for _, explicit := range []struct{ source, value string }{
		{"--flyctl", flag},
		{"JPOPS_FLYCTL", getenv("JPOPS_FLYCTL")},
	} {
		if explicit.value == "" {
			continue
		}
		p, err := lookPath(explicit.value)
		if err != nil {
			return "", fmt.Errorf("flyctl from %s %q cannot be run: %w: pass the path of an executable flyctl", explicit.source, explicit.value, err)
		}
		return absolute(p)
	}
	for _, name := range []string{"flyctl", "fly"} {
		// A PATH entry like "." gives an error (exec.ErrDot): never run a
		// flyctl that happens to sit in the current directory.
		if p, err := lookPath(name); err == nil {
			return absolute(p)
		}
	}
	return "", ErrNotFound
}

func absolute(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("flyctl path %q: %w", p, err)
	}
	return abs, nil
}

// Version runs `<argv…> version` (argv is flyctl, or a wrapper ending in
// it) and returns the first line it prints, e.g. "flyctl v0.3.209
// linux/amd64 Commit: … BuildDate: …".
func Version(ctx context.Context, argv []string) (string, error) {
	if len(argv) == 0 {
		return "", ErrNotFound
	}
	var out, errOut string
	_, err := Run(ctx, Spec{
		Argv:      append(slices.Clone(argv), "version"),
		Timeout:   versionTimeout,
		KillGrace: time.Second,
	}, func(l Line) {
		switch {
		case l.Stream == Stdout && out == "":
			out = l.Text
		case l.Stream == Stderr && errOut == "":
			errOut = l.Text
		}
	})
	if err != nil {
		return "", fmt.Errorf("flyctl version: %w", err)
	}
	if out == "" {
		out = errOut
	}
	if out == "" {
		return "", fmt.Errorf("%s version printed nothing: is it really flyctl? %s", argv[0], installHint)
	}
	return out, nil
}
