//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

// TestDrillInterruptedScenarioResumes plays the scenario that stops jpops
// mid-rollout: the drill exits 130 naming jpops resume, and resume brings
// the simulated platform back as it was (one machine replaced), offers the
// deploy again, and is scored.
func TestDrillInterruptedScenarioResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.run("drill", "--yes", "--scenario", "interrupted", "--hold", "1s")
	wantCode(t, r, 130)
	path, _ := e.onlyJournal()
	incident := strings.TrimSuffix(filepath.Base(path), journal.Ext)
	wantIn(t, "the drill's exit line", r.stderr, "jpops resume "+incident)
	if _, err := os.Stat(strings.TrimSuffix(path, journal.Ext) + ".sim.json"); err != nil {
		t.Fatalf("the drill did not save its simulated platform beside the journal: %v", err)
	}

	r = e.run("resume", incident, "--yes", "--hold", "1s")
	wantCode(t, r, 0)
	wantIn(t, "resume", r.stderr, "1 of 2 machine(s) run the new image", "deploy again")
	wantIn(t, "resume", r.stdout, "DRILL scorecard · scenario interrupted · RECOVERED (as expected)")
	_, evs := e.onlyJournal()
	if n := kinds(evs)[journal.KindCommandStart]; n != 2 {
		t.Errorf("the resumed drill deployed %d times in all, want 2 (the interrupted one and the redeploy)", n)
	}
	if v := finalVerdict(t, evs); v != "RECOVERED" {
		t.Errorf("the resumed drill ended %s", v)
	}
}

// TestDrillCtrlCThenResume presses Ctrl-C in a drill's TUI at the gate and
// during the deploy, at 60 and 120 columns: the screen and the exit line
// name jpops resume, and that command finishes the drill.
func TestDrillCtrlCThenResume(t *testing.T) {
	for _, cols := range widths {
		for _, when := range []string{"gate", "deploy"} {
			t.Run(fmt.Sprintf("%s/%dcols", when, cols), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				term := startTerm(t, e, termOpts{cols: cols, rows: 30}, "drill", "--speed", "10", "--hold", "1s")
				gate := term.waitScreen("press enter to deploy", 30*time.Second)
				if !onScreen(gate, "$ flyctl deploy --remote-only --strategy rolling -a autonomath-api") {
					t.Errorf("the gate does not show the whole command at %d columns:\n%s", cols, term.screen())
				}
				for _, want := range []string{"2 wedged:", "[entrypoint] running integrity_check on /data/autonomath.db"} {
					if !onScreen(gate, want) {
						t.Errorf("the gate at %d columns does not show the evidence %q:\n%s", cols, want, term.screen())
					}
				}
				if when == "deploy" {
					term.keys("-l", "autonomath-api")
					term.keys("Enter")
					waitFor(t, "the rolling update", 30*time.Second, func() bool { return e.journalHas(journal.KindCommandOutput, "Updating existing machines") })
					term.keys("C-c")
					term.waitScreen("send Ctrl-C to flyctl", 10*time.Second)
					term.keys("y")
				} else {
					term.keys("C-c")
				}
				path, _ := e.onlyJournal()
				incident := strings.TrimSuffix(filepath.Base(path), journal.Ext)
				if when == "deploy" {
					// The walk ends on its end screen; at the gate it ends at once.
					term.waitScreen("press enter or q to exit", 30*time.Second)
					if !onScreen(term.screen(), "jpops resume "+incident) {
						t.Errorf("the end screen does not name jpops resume %s:\n%s", incident, term.screen())
					}
					term.keys("q")
				}
				if code := term.exitCode(15 * time.Second); code != 130 {
					t.Errorf("Ctrl-C in a drill at the %s exited %d, want 130", when, code)
				}
				if sc := term.screen(); !onScreen(sc, "jpops resume "+incident) {
					t.Errorf("the exit line does not name jpops resume %s:\n%s", incident, sc)
				}
				r := e.run("resume", incident, "--yes", "--hold", "1s")
				wantCode(t, r, 0)
				wantIn(t, "resume", r.stdout, "DRILL scorecard", "RECOVERED")
			})
		}
	}
}

// onScreen reports whether the screen shows text, wrapped or not: a narrow
// terminal may break it over lines, so blanks do not count.
func onScreen(screen, text string) bool {
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	return strings.Contains(squash(screen), squash(text))
}
