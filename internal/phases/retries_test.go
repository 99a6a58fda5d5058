package phases_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// TestRetriesShownAndJournaled: a Fly API that answers 503 a few times is
// retried by the client; the walk hears each retry as it happens, with the
// phase under way, and journals one note per span (a phase, the settle,
// the hold) saying how often and why, so the post-mortem can tell.
func TestRetriesShownAndJournaled(t *testing.T) {
	for _, tc := range []struct {
		name, phase, span string
		start             func(journal.Event) bool // when the burst begins
	}{
		{"diagnose", runbook.PhaseDiagnose, "during phase diagnose", func(e journal.Event) bool {
			return e.Kind == journal.KindPhaseStart && e.Phase == runbook.PhaseDiagnose
		}},
		{"hold", runbook.PhaseSmoke, "during the stability hold", func(e journal.Event) bool { return e.Kind == journal.KindHold }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, "db-boot-hang")
			var mu sync.Mutex
			var retries, done []flyapi.Retry
			var phasesSeen []string
			r.opts.Retried = func(phase string, rt flyapi.Retry) {
				mu.Lock()
				defer mu.Unlock()
				if rt.Done {
					done = append(done, rt)
					return
				}
				retries = append(retries, rt)
				phasesSeen = append(phasesSeen, phase)
			}
			burst := false
			r.onEvent = func(e journal.Event) {
				if !burst && tc.start(e) {
					burst = true
					r.sim.SetFaults(flysim.Faults{Status: 503, Count: 3, PathPrefix: "/v1/"})
				}
			}
			res, err := phases.Run(r.ctx(), r.opts)
			if err != nil || res.Verdict != verdict.Recovered {
				t.Fatalf("verdict %s (%s), err %v; want RECOVERED", res.Verdict, res.Reason, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(retries) != 3 || len(done) != 1 || done[0].Err != nil {
				t.Fatalf("heard %d retries and %d ends (%+v), want 3 and one that succeeded", len(retries), len(done), done)
			}
			for i, rt := range retries {
				if phasesSeen[i] != tc.phase || rt.Attempt != i+1 || rt.Reason != "503 Service Unavailable" || rt.Wait <= 0 || !strings.HasPrefix(rt.Call, "list machines") {
					t.Errorf("retry %d: phase %s %+v", i+1, phasesSeen[i], rt)
				}
			}
			want := "the Fly API was retried 3 times in 1 call " + tc.span + " (503 Service Unavailable ×3)"
			var notes []string
			for _, e := range r.readBack() {
				if n, ok := e.Data.(journal.Note); ok && strings.Contains(n.Text, "retried") {
					notes = append(notes, e.Phase+": "+n.Text)
				}
			}
			if len(notes) != 1 || notes[0] != tc.phase+": "+want {
				t.Errorf("retry notes %q, want exactly %q", notes, tc.phase+": "+want)
			}
		})
	}
}
