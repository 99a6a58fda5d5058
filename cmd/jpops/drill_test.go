//go:build unix

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

func TestDrill(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		code     int
		verdict  string
	}{
		{"db-boot-hang", 0, "RECOVERED"},
		{"healthy", 0, "HEALTHY"},
		{"other-failure", 12, "NOT_THIS_INCIDENT"},
		{"deploy-fails", 20, "ESCAPE_FAILED"},
		{"fix-missing", 30, "SMOKE_FAILED"},
		{"flaky-api", 0, "RECOVERED"},
		{"autoscaled", 0, "RECOVERED"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			// Whatever the environment says, a drill never leaves the simulator.
			e.set("FLY_API_TOKEN", plantedToken).set("FLY_FLAPS_BASE_URL", "http://192.0.2.1:9").set("FLY_API_BASE_URL", "http://192.0.2.1:9")
			r := e.run("drill", "--yes", "--scenario", tt.scenario, "--hold", "2s")
			wantCode(t, r, tt.code)
			wantIn(t, "scorecard", r.stdout, "DRILL scorecard", "scenario "+tt.scenario, tt.verdict+" (as expected)", "time to diagnose", "wall time")
			_, evs := e.onlyJournal()
			for _, ev := range evs {
				if ev.Mode != journal.ModeDrill {
					t.Fatalf("event %d of a drill has mode %q", ev.Seq, ev.Mode)
				}
			}
			if got := finalVerdict(t, evs); got != tt.verdict {
				t.Errorf("journal verdict %s, want %s", got, tt.verdict)
			}
			if strings.Contains(r.stdout+r.stderr, plantedTokenPart) {
				t.Error("the drill printed the operator's token")
			}
			// A drill cannot be resumed: its platform died with it.
			if tt.code != 0 {
				return
			}
			if r := e.run("resume", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "already ended") {
				t.Errorf("resume of a finished drill:\n%s", r)
			}
		})
	}
}

func TestDrillList(t *testing.T) {
	t.Parallel()
	r := newEnv(t).run("drill", "--list")
	wantCode(t, r, 0)
	for _, want := range []string{"db-boot-hang", "healthy", "other-failure", "deploy-fails", "fix-missing", "flaky-api", "SMOKE_FAILED"} {
		wantIn(t, "drill --list", r.stdout, want)
	}
}

// TestReadmeDrill is the README's first command, exactly.
func TestReadmeDrill(t *testing.T) {
	t.Parallel()
	began := time.Now()
	r := newEnv(t).run("drill", "--yes")
	wantCode(t, r, 0)
	if took := time.Since(began); took > 60*time.Second {
		t.Errorf("jpops drill --yes took %s, want under 60s", took)
	}
	wantIn(t, "stdout", r.stdout, "RECOVERED (as expected)")
}

// The replay plays 2026-05-11 from the first wedged boot: the watchdog
// pages, the walk answers, and the scorecard sets the journal's moments
// beside the post-mortem's, with the post-mortem draft saying who noticed.
func TestDrillReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.run("drill", "--yes", "--scenario", "replay-2026-05-11", "--speed", "600")
	wantCode(t, r, 0)
	wantIn(t, "replay output", r.stdout, "incident\tpage\tpaged by jpops watch: [DRILL] jpops: HANG autonomath-api",
		"REPLAY of 2026-05-11, set beside its post-mortem", "detected (first page)", "verified after the hold",
		"jpops's own time", "instead of 5h12m00s")
	id, evs := e.onlyJournal()
	// The checks signature pages one poll past the 60 s grace; a loaded
	// machine lets the simulated clock run on while jpops waits (at ×600 a
	// second of real time is ten simulated minutes), so the bound is loose.
	began := time.Date(2026, 5, 11, 11, 40, 0, 0, time.UTC)
	if evs[0].Kind != journal.KindPage || evs[0].TS.Before(began.Add(time.Minute)) || evs[0].TS.After(began.Add(30*time.Minute)) {
		t.Fatalf("the journal opens with %s at %v, want the watchdog's page soon after 11:41 on the simulated clock", evs[0].Kind, evs[0].TS)
	}
	if got := finalVerdict(t, evs); got != "RECOVERED" {
		t.Errorf("journal verdict %s, want RECOVERED", got)
	}
	pm := e.run("postmortem", id)
	wantCode(t, pm, 0)
	wantIn(t, "post-mortem", pm.stdout, "## TL;DR", "## Timeline (UTC)", "## Root cause", "## Detection",
		"- First noticed by: jpops watch, paging at "+evs[0].TS.UTC().Format("15:04")+" UTC", "## Mitigation", "## Impact", "## Lessons learned", "## Action items")
}
