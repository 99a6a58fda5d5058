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

// widths are the terminal widths every tmux test runs at: a narrow split
// pane and a comfortable window.
var widths = []int{60, 120}

// hangupNote is the journal's note that the terminal went away.
func hangupNote(evs []journal.Event) (string, bool) {
	for _, ev := range evs {
		if note := data[journal.Note](ev); note.Hangup {
			return note.Text, true
		}
	}
	return "", false
}

// TestHangUpDuringDeployFinishesHeadless closes the terminal while flyctl
// deploys and while the smoke walk holds: jpops must not stop flyctl, must
// journal the walk to its end, and must then exit.
func TestHangUpDuringDeployFinishesHeadless(t *testing.T) {
	for _, cols := range widths {
		for _, when := range []string{"deploy", "hold"} {
			t.Run(fmt.Sprintf("%s/%dcols", when, cols), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				s := e.startSim("db-boot-hang")
				dir := deployDir(t, "entrypoint-guarded.sh")
				release := filepath.Join(t.TempDir(), "release")
				prelude := ""
				if when == "deploy" {
					// flyctl waits for the test, so the hang-up lands mid-deploy.
					prelude = "while [ ! -e '" + release + "' ]; do sleep 0.05; done"
				}
				flyctl, pidfile := flyctlWrapper(t, prelude, "")
				args := append([]string{"run"}, deployArgs(s, dir, flyctl)...)
				args = append(args, "--hold", "4s")
				term := startTerm(t, e, termOpts{cols: cols, rows: 30, outlive: true}, args...)
				term.waitScreen("press enter to deploy", 30*time.Second)
				term.keys("-l", "autonomath-api")
				term.keys("Enter")
				if when == "deploy" {
					waitFor(t, "flyctl to start", 15*time.Second, func() bool { return readPid(pidfile) > 0 })
				} else {
					waitFor(t, "the stability hold", 30*time.Second, func() bool { return e.journalHas(journal.KindHold, "") })
				}
				term.hangUp()
				if when == "deploy" {
					if err := os.WriteFile(release, nil, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if code := term.exitCode(45 * time.Second); code != 0 {
					t.Errorf("jpops hung up during the %s exited %d, want 0 (RECOVERED)", when, code)
				}
				path, evs := e.onlyJournal()
				if v := finalVerdict(t, evs); v != "RECOVERED" {
					t.Errorf("verdict %s after a hang-up during the %s, want RECOVERED", v, when)
				}
				exit, _ := lastOf(evs, journal.KindCommandExit)
				if x := data[journal.CommandExit](exit); x.Code != 0 || x.Error != "" {
					t.Errorf("flyctl did not finish its deploy after the hang-up: %v", exit.Data)
				}
				note, ok := hangupNote(evs)
				if !ok || !strings.Contains(note, "after the gate") {
					t.Errorf("the journal does not say the terminal hung up after the gate: %q", note)
				}
				if pid := readPid(pidfile); pid > 0 && !gone(pid) {
					t.Errorf("flyctl (pid %d) outlived jpops", pid)
				}
				// The story is readable afterwards.
				show := e.run("journal", "show", filepath.Base(strings.TrimSuffix(path, journal.Ext)))
				wantCode(t, show, 0)
				wantIn(t, "journal show", show.stdout, "hung up", "RECOVERED")
				pm := e.run("postmortem", filepath.Base(strings.TrimSuffix(path, journal.Ext)))
				wantCode(t, pm, 0)
				wantIn(t, "post-mortem", pm.stdout, "hung up")
			})
		}
	}
}

// TestHangUpAtGateEndsTheRun closes the terminal while the gate waits: the
// run must end at once, with nothing deployed and the journal closed.
func TestHangUpAtGateEndsTheRun(t *testing.T) {
	for _, cols := range widths {
		t.Run(fmt.Sprintf("%dcols", cols), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := e.startSim("db-boot-hang")
			dir := deployDir(t, "entrypoint-guarded.sh")
			flyctl, pidfile := flyctlWrapper(t, "", "")
			term := startTerm(t, e, termOpts{cols: cols, rows: 30, outlive: true}, append([]string{"run"}, deployArgs(s, dir, flyctl)...)...)
			term.waitScreen("press enter to deploy", 30*time.Second)
			// While the gate waits, phase 3's timer ticks on its own. It
			// shows whole seconds once a tick, so a late tick or a late look
			// can pass any one value by: wait for it to be past 1s.
			waitFor(t, "phase 3's timer at the gate to pass 1s", 10*time.Second, func() bool {
				m := phase3Timer.FindStringSubmatch(term.screen())
				if m == nil {
					return false
				}
				d, err := time.ParseDuration(m[1])
				return err == nil && d >= 2*time.Second
			})
			term.hangUp()
			if code := term.exitCode(15 * time.Second); code != 130 {
				t.Errorf("jpops hung up at the gate exited %d, want 130", code)
			}
			_, evs := e.onlyJournal()
			if n := kinds(evs)[journal.KindCommandStart]; n != 0 || readPid(pidfile) != 0 {
				t.Errorf("a run hung up at the gate deployed (%d command_start)", n)
			}
			abort, ok := lastOf(evs, journal.KindAbort)
			if !ok || !strings.Contains(data[journal.Abort](abort).Reason, "hung up") {
				t.Errorf("the journal does not end with the hang-up: %+v", abort)
			}
			if note, ok := hangupNote(evs); !ok || !strings.Contains(note, "before the gate") {
				t.Errorf("the journal does not say the terminal hung up before the gate: %q", note)
			}
		})
	}
}
