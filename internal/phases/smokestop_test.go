package phases_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// The operator stops the walk (Ctrl-C, or q then y in the TUI) while the
// hold's smoke requests are in flight: the requests fail because they were
// cancelled, not because the app failed them, so the walk ends
// interrupted, never SMOKE_FAILED with a failed request on record.
func TestStopDuringHoldRequestIsNotASmokeFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t, "healthy")
	ctx, stop := context.WithCancel(r.ctx())
	defer stop()
	held := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		inHold := false
		for _, e := range r.events() {
			if e.Kind == journal.KindHold {
				inHold = true
			}
		}
		if !inHold {
			return // 200 through the settle
		}
		select {
		case <-held:
		default:
			close(held)
			stop() // the operator stops the walk while this request is in flight
		}
		select {
		case <-req.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer app.Close()
	machines, err := r.opts.Fly.ListMachines(r.ctx(), r.opts.App)
	if err != nil || len(machines) == 0 {
		t.Fatalf("list machines: %v (%d)", err, len(machines))
	}
	r.opts.SmokeURL = app.URL
	r.opts.Settle = 50 * time.Millisecond
	res, err := phases.Smoke(ctx, r.opts, machines[0].Image())
	select {
	case <-held:
	default:
		t.Fatal("no smoke request reached the app during the hold")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("stopped in the hold: error %v, want context.Canceled", err)
	}
	if res.Verdict == verdict.SmokeFailed {
		t.Errorf("stopped in the hold: verdict SMOKE_FAILED (%v)", res.Failure)
	}
	for _, e := range r.readBack() {
		if sr, ok := e.Data.(journal.SmokeResult); ok && !sr.OK {
			t.Errorf("a cancelled request was journaled as a failed smoke check: %+v", sr)
		}
	}
}
