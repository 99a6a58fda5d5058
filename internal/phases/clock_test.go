package phases_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyapi/flyapitest"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

const holdImage = "sha256:de7c3283e97e632ac22da59b4b1300a5f457e01ee152404d977a81a71ff5a11e"

// The settle and the 5-minute hold run on the engine's clock: on a manual
// clock they take no real time, and every moment of them is exact.
func TestHoldRunsOnTheEngineClock(t *testing.T) {
	tests := []struct {
		name       string
		failAt     time.Duration // the machine's checks fail from this far into the walk; 0: never
		want       verdict.Verdict
		wantDetail string
	}{
		{"holds 5m", 0, verdict.Recovered, ""},
		{"fails at 4m", 4 * time.Minute, verdict.SmokeFailed, "(during the stability hold, after 4m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lists atomic.Int32
			run := walk(t, holdImage, func(now time.Time) ([]flyapi.Machine, error) {
				lists.Add(1)
				status := flyapi.CheckPassing
				if tt.failAt > 0 && !now.Before(walkStart.Add(tt.failAt)) {
					status = flyapi.CheckCritical
				}
				return []flyapi.Machine{{ID: "148ed726c1e589", State: "started", Region: "nrt",
					ImageRef: flyapi.ImageRef{Digest: holdImage},
					Config:   &flyapi.MachineConfig{Metadata: map[string]string{"fly_platform_version": "v2", "fly_process_group": "app"}},
					Checks:   []flyapi.CheckStatus{{Name: "http", Status: status}}}}, nil
			})
			res, holds := run.res, kinds(run.events, journal.KindHold)
			if res.Verdict != tt.want {
				t.Fatalf("verdict %s (%s), want %s", res.Verdict, res.Reason, tt.want)
			}
			if tt.wantDetail != "" && (res.Failure == nil || !strings.Contains(res.Failure.Detail, tt.wantDetail)) {
				t.Errorf("failure %+v, want its detail to say %q", res.Failure, tt.wantDetail)
			}
			if tt.want != verdict.Recovered {
				return
			}
			rb := runbook.Default()
			hold := rb.Smoke.Hold.Duration
			if got := run.took; got != hold {
				t.Errorf("the walk took %s of the engine's clock, want the %s hold", got, hold)
			}
			if n, want := lists.Load(), int32(hold/rb.Smoke.Interval.Duration)+1; n != want {
				t.Errorf("machines listed %d times, want %d: one settle round and one a poll", n, want)
			}
			last, _ := holds[len(holds)-1].Data.(journal.Hold)
			if len(holds) < 10 || last.ElapsedS != 300 || last.RemainingS != 0 || !last.Met() {
				t.Errorf("%d hold events, the last %+v: want progress every tenth up to 300 s", len(holds), last)
			}
		})
	}
}

// A machine whose logs cannot be read is never dropped: with the hang shown
// on the others the verdict stays HANG_CONFIRMED and says on how many, and
// the diagnosis, the reason and the journal name the unread machine.
func TestUnreadMachineIsNamed(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	ids := r.sim.MachineIDs()
	unread := ids[len(ids)-1]
	fly := flyapitest.Wrap(r.opts.Fly.(flyapi.Client))
	real := fly.GetLogsFunc
	fly.GetLogsFunc = func(ctx context.Context, app string, q flyapi.LogQuery) (flyapi.LogPage, error) {
		if q.Instance == unread {
			return flyapi.LogPage{}, &flyapi.APIError{Op: "get logs", App: app, Status: 503, Attempts: 6}
		}
		return real(ctx, app, q)
	}
	r.opts.Fly = fly
	d, err := phases.Diagnose(r.ctx(), r.opts)
	if err != nil {
		t.Fatal(err)
	}
	if d.Verdict != verdict.HangConfirmed {
		t.Fatalf("verdict %s (%s), want HANG_CONFIRMED on the machines that were read", d.Verdict, d.Reason)
	}
	if len(d.Unread) != 1 || d.Unread[0].Machine != unread || !strings.Contains(d.Unread[0].Error, "503") {
		t.Errorf("unread = %+v, want %s with its 503", d.Unread, unread)
	}
	want := fmt.Sprintf("the hang is confirmed on %d of %d signature machines: the logs of 1 could not be read (%s)", len(ids)-1, len(ids), unread)
	if !strings.Contains(d.Reason, want) {
		t.Errorf("reason %q, want it to say %q", d.Reason, want)
	}
	var noted bool
	for _, e := range r.readBack() {
		if n, ok := e.Data.(journal.Note); ok && strings.Contains(n.Text, "the logs of machine "+unread+" could not be read") {
			noted = true
		}
	}
	if !noted {
		t.Errorf("the journal does not name %s", unread)
	}
}
