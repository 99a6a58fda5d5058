//go:build unix

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

// TestOneJpopsPerApp holds an app's incident with a run waiting at the gate
// on a terminal: a second run and a resume of the held incident refuse,
// name the holder, and change nothing; once the holder is gone, a run goes.
func TestOneJpopsPerApp(t *testing.T) {
	for _, cols := range widths {
		t.Run(fmt.Sprintf("%dcols", cols), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := e.startSim("db-boot-hang")
			dir := deployDir(t, "entrypoint-guarded.sh")
			flyctl, _ := flyctlWrapper(t, "", "")
			args := append([]string{"run"}, deployArgs(s, dir, flyctl)...)
			term := startTerm(t, e, termOpts{cols: cols, rows: 30}, args...)
			term.waitScreen("press enter to deploy", 30*time.Second)
			path, _ := e.onlyJournal()
			incident := strings.TrimSuffix(filepath.Base(path), journal.Ext)

			second := e.run(append(args, "--yes")...)
			wantCode(t, second, 20)
			wantIn(t, "the second run's refusal", second.stderr, "held by jpops pid", incident, "jpops run -a autonomath-api")
			if n := len(e.journals()); n != 1 {
				t.Errorf("the refused run left a journal behind: %d journals", n)
			}
			resume := e.run("resume", incident, "--yes")
			wantCode(t, resume, 20)
			wantIn(t, "the resume's refusal", resume.stderr, "held by jpops pid", incident)
			// On a terminal too: the refusal is on the screen, no TUI hides it.
			for _, second := range [][]string{args, {"resume", incident}} {
				other := startTerm(t, e, termOpts{cols: cols, rows: 30}, second...)
				if code := other.exitCode(30 * time.Second); code != 20 {
					t.Errorf("jpops %s on a terminal while the incident is held exited %d, want 20", second[0], code)
				}
				other.waitScreen("held by jpops pid", 10*time.Second)
				if sc := other.screen(); !onScreen(sc, incident) {
					t.Errorf("jpops %s's refusal at %d columns does not name the holder's incident %s:\n%s", second[0], cols, incident, sc)
				}
			}
			if n := len(e.journals()); n != 1 {
				t.Errorf("the refused runs left a journal behind: %d journals", n)
			}

			term.keys("Escape")
			term.waitScreen("press enter or q to exit", 15*time.Second)
			term.keys("q")
			if code := term.exitCode(15 * time.Second); code != 40 {
				t.Fatalf("the holder refused at the gate exited %d, want 40", code)
			}
			third := e.run(append(args, "--yes")...)
			wantCode(t, third, 0)
		})
	}
}
