//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

// TestWrongDeployDirRefused runs jpops on a terminal from a directory that
// is not the app's (another app's fly.toml, or no boot script): phase 3
// refuses before the gate, nothing is deployed, and the screen says,
// unclipped at any width, how to fix it.
func TestWrongDeployDirRefused(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
		say   []string
	}{
		{"another app's fly.toml", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "fly.toml"), []byte("app = \"billing-api\"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"ESCAPE_FAILED", "names app billing-api, not autonomath-api", "pass --config DIR of its fly.toml; nothing was deployed"}},
		{"no boot script", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "entrypoint.sh")); err != nil {
				t.Fatal(err)
			}
		}, []string{"ESCAPE_FAILED", "no boot script (entrypoint.sh)", "--no-boot-script"}},
	}
	for _, tt := range tests {
		for _, cols := range widths {
			t.Run(fmt.Sprintf("%s/%dcols", tt.name, cols), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				s := e.startSim("db-boot-hang")
				dir := deployDir(t, "entrypoint-guarded.sh")
				tt.spoil(t, dir)
				flyctl, _ := flyctlWrapper(t, "", "")
				term := startTerm(t, e, termOpts{cols: cols, rows: 40}, append([]string{"run"}, deployArgs(s, dir, flyctl)...)...)
				term.waitScreen("press enter or q to exit", 30*time.Second)
				// The end screen, or its detail view, says how to fix it.
				sc := term.screen()
				term.keys("d")
				sc += term.waitScreen(" details · ", 10*time.Second)
				for _, want := range tt.say {
					if !onScreen(sc, want) {
						t.Errorf("the end screen at %d columns does not say %q:\n%s", cols, want, sc)
					}
				}
				term.keys("q")
				if code := term.exitCode(15 * time.Second); code != 20 {
					t.Errorf("a run from the wrong directory exited %d, want 20", code)
				}
				_, evs := e.onlyJournal()
				if n := kinds(evs)[journal.KindCommandStart]; n != 0 {
					t.Errorf("a run from the wrong directory deployed")
				}
			})
		}
	}
	t.Run("no boot script, off a terminal", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		s := e.startSim("db-boot-hang")
		dir := deployDir(t, "entrypoint-guarded.sh")
		if err := os.Remove(filepath.Join(dir, "entrypoint.sh")); err != nil {
			t.Fatal(err)
		}
		flyctl, _ := flyctlWrapper(t, "", "")
		args := append([]string{"run", "--yes"}, deployArgs(s, dir, flyctl)...)
		r := e.run(args...)
		wantCode(t, r, 20)
		wantIn(t, "the refusal", r.stdout+r.stderr, "no boot script (entrypoint.sh)", "--no-boot-script")
		wantCode(t, e.run(append(args, "--no-boot-script")...), 0)
	})
}
