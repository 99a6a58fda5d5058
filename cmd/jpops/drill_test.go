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
