package phases_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// TestSmokeShowsEachMachineOnChange: the settle and the hold journal each
// machine's state as it changes, not at every poll: a machine that starts,
// then passes its checks, gives one event per state it was in; a hold
// where nothing changes gives none.
func TestSmokeShowsEachMachineOnChange(t *testing.T) {
	var start time.Time
	run := walk(t, "registry.fly.io/autonomath-api:"+newTag, func(now time.Time) ([]flyapi.Machine, error) {
		if start.IsZero() {
			start = now
		}
		a := fleetMachine("a", "starting")
		switch since := now.Sub(start); {
		case since >= 40*time.Second:
			a = fleetMachine("a", "started", "passing")
		case since >= 20*time.Second:
			a = fleetMachine("a", "started", "critical")
		}
		return []flyapi.Machine{a, fleetMachine("b", "started", "passing")}, nil
	})
	if run.res.Verdict != verdict.Recovered {
		t.Fatalf("verdict %s (%s), want RECOVERED", run.res.Verdict, run.res.Reason)
	}
	got := map[string][]string{}
	for _, e := range run.events {
		sm, ok := e.Data.(journal.SmokeMachine)
		if !ok {
			continue
		}
		got[sm.ID] = append(got[sm.ID], fmt.Sprintf("%s %d/%d image %v requests %q good %v (%s)", sm.State, sm.ChecksPassing, sm.ChecksTotal, sm.ImageOK, sm.Requests, sm.Good, sm.Stage))
	}
	want := map[string][]string{
		// The app answered a even while it started.
		"a": {
			`starting 0/0 image true requests "answered" good false (settle)`,
			`started 0/1 image true requests "answered" good false (settle)`,
			`started 1/1 image true requests "answered" good true (settle)`,
		},
		// Not asked while a failed first: not good until it answered.
		"b": {
			`started 1/1 image true requests "" good false (settle)`,
			`started 1/1 image true requests "answered" good true (settle)`,
		},
	}
	for id, w := range want {
		if fmt.Sprint(got[id]) != fmt.Sprint(w) {
			t.Errorf("machine %s shown as\n%q\nwant\n%q", id, got[id], w)
		}
	}
}

// TestSmokeShowsAChangeInTheHold: a machine that fails its checks during
// the hold is shown so, in the hold, before the walk fails on it.
func TestSmokeShowsAChangeInTheHold(t *testing.T) {
	var start time.Time
	run := walk(t, "registry.fly.io/autonomath-api:"+newTag, func(now time.Time) ([]flyapi.Machine, error) {
		if start.IsZero() {
			start = now
		}
		if now.Sub(start) > 2*time.Minute {
			return []flyapi.Machine{fleetMachine("a", "started", "critical")}, nil
		}
		return []flyapi.Machine{fleetMachine("a", "started", "passing")}, nil
	})
	if run.res.Verdict != verdict.SmokeFailed {
		t.Fatalf("verdict %s, want SMOKE_FAILED", run.res.Verdict)
	}
	var last journal.SmokeMachine
	n := 0
	for _, e := range run.events {
		if sm, ok := e.Data.(journal.SmokeMachine); ok {
			last, n = sm, n+1
		}
	}
	if n != 2 || last.Good || last.Stage != journal.StageHold || last.ChecksPassing != 0 {
		t.Errorf("%d events, the last %+v; want 2, the last not good in the hold with 0 checks passing", n, last)
	}
}
