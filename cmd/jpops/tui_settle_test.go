//go:build unix

package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

// The settle shows each machine's state while it waits for them to pass,
// at both widths: here the deployed image still wedges one machine, so
// the settle runs its course and the walk ends SMOKE_FAILED (30).
func TestTUISettleShowsEachMachine(t *testing.T) {
	eachWidth(t, func(t *testing.T, cols int) {
		e := newEnv(t)
		s := e.startSim("fix-missing")
		flyctl, _ := flyctlWrapper(t, "", "")
		args := append([]string{"run"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
		term := startTerm(t, e, termOpts{cols: cols, rows: 30}, append(args, "--settle", "10s")...)
		term.waitScreen(atGate, 30*time.Second)
		_, evs := e.onlyJournal()
		var machines []string
		for _, ev := range evs {
			if m, ok := ev.Data.(journal.Machine); ok && !slices.Contains(machines, m.ID) {
				machines = append(machines, m.ID)
			}
		}
		if len(machines) < 2 {
			t.Fatalf("the journal names %d machines before the gate, want 2", len(machines))
		}
		term.confirmGate()
		waitFor(t, "the deploy to end", 60*time.Second, func() bool { return e.journalHas(journal.KindCommandExit, "") })

		// The deploy's own output names the machines too, so only a line
		// that holds a machine and its checks is the settle's row.
		everyRow := func(sc string) bool {
			for _, id := range machines {
				if !slices.ContainsFunc(strings.Split(sc, "\n"), func(line string) bool {
					return strings.Contains(line, id) && strings.Contains(line, "checks ")
				}) {
					return false
				}
			}
			return true
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			sc := term.screen()
			if everyRow(sc) {
				break
			}
			if onScreen(sc, atEnd) || time.Now().After(deadline) {
				t.Fatalf("the settle at %d columns did not show every machine with its checks:\n%s", cols, sc)
			}
		}
		term.waitScreen(atEnd, 30*time.Second)
		term.keys("q")
		if code := term.exitCode(15 * time.Second); code != 30 {
			t.Errorf("a settle that ran out exited %d, want 30 (SMOKE_FAILED)", code)
		}
	})
}
