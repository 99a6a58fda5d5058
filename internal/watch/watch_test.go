package watch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyapi/flyapitest"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

const simToken = "flysim-watch-test"

// rig is a simulated platform on loopback and a real client for it.
type rig struct {
	sim *flysim.Server
	srv *httptest.Server
	fly *flyapi.HTTPClient
}

func newRig(t *testing.T, scenario string) *rig { return newRigB(t, scenario) }

func defaultRunbook() *runbook.Runbook { return runbook.Default() }

func newRigB(t testing.TB, scenario string) *rig {
	t.Helper()
	sim, err := flysim.New(flysim.Options{Scenario: scenario, Speed: 1, Token: simToken})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	fly, err := flyapi.New(flyapi.Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: simToken,
		Backoff:           func(int) time.Duration { return time.Millisecond },
		MachinesPerSecond: -1}) // these tests poll faster than the real API allows
	if err != nil {
		t.Fatal(err)
	}
	return &rig{sim: sim, srv: srv, fly: fly}
}

func (r *rig) deploy(t *testing.T) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/_sim/apps/"+r.sim.App()+"/deploy", nil)
	req.Header.Set("Authorization", "Bearer "+simToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("deploy: %s", resp.Status)
	}
}

// recorder collects alerts.
type recorder struct {
	mu     sync.Mutex
	alerts []notify.Alert
}

func (r *recorder) send(a notify.Alert) { r.mu.Lock(); r.alerts = append(r.alerts, a); r.mu.Unlock() }

func (r *recorder) take() []notify.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.alerts
	r.alerts = nil
	return out
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.alerts) }

func (r *rig) watcher(t *testing.T, statePath string, rec *recorder) *Watcher {
	t.Helper()
	w, err := New(Config{App: r.sim.App(), Runbook: runbook.Default(), Fly: r.fly, Now: r.sim.Clock().Now,
		StatePath: statePath, Send: rec.send, OnError: func(err error) { t.Errorf("transient error: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// keys lists alerts as kind/machine/op, sorted.
func keys(alerts []notify.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Kind+"/"+a.Machine+"/"+a.Op)
	}
	slices.Sort(out)
	return out
}

// The db-boot-hang wedge raises exactly four alerts: for each of the two
// machines one "integrity_check" (the boot op from the logs) and one
// "checks" (started, failing checks past grace). A restarted watchdog
// raises none again; the fix's deploy brings exactly one recovery each.
func TestWedgeAlertsOnceThenRecovers(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	statePath := filepath.Join(t.TempDir(), "watch", r.sim.App()+".json")
	rec := &recorder{}
	w := r.watcher(t, statePath, rec)
	ctx := context.Background()

	v, got, err := w.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != verdict.HangConfirmed {
		t.Errorf("verdict %s, want HANG_CONFIRMED", v)
	}
	var want []string
	for _, id := range r.sim.MachineIDs() {
		want = append(want, "hang/"+id+"/checks", "hang/"+id+"/integrity_check")
	}
	slices.Sort(want)
	if k := keys(rec.take()); !slices.Equal(k, want) {
		t.Fatalf("first poll alerts %v, want %v", k, want)
	}
	for _, a := range got {
		if a.App != r.sim.App() || a.Since.IsZero() || a.RunningFor < 30*time.Minute || a.Evidence == "" || a.Summary == "" || a.At.IsZero() {
			t.Errorf("alert lacks what/where/how long: %+v", a)
		}
		if a.Command != "jpops run -a "+r.sim.App()+" --machine "+a.Machine {
			t.Errorf("command %q", a.Command)
		}
		if a.Op == "integrity_check" && (a.DB != "/data/autonomath.db" || !strings.Contains(a.Evidence, "running integrity_check")) {
			t.Errorf("integrity_check alert evidence %q db %q", a.Evidence, a.DB)
		}
	}

	r.sim.Clock().Advance(time.Minute)
	if _, _, err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if k := keys(rec.take()); len(k) != 0 {
		t.Fatalf("second poll raised %v again", k)
	}

	// A restarted watchdog with the same state file stays quiet.
	w2 := r.watcher(t, statePath, rec)
	if _, _, err := w2.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if k := keys(rec.take()); len(k) != 0 {
		t.Fatalf("restarted watchdog raised %v again", k)
	}
	if n := len(w2.Open()); n != 4 {
		t.Fatalf("restarted watchdog has %d open alerts, want 4", n)
	}

	r.deploy(t)
	for range 12 { // 12 × 30 s covers the build, the rolling update and the checks
		r.sim.Clock().Advance(30 * time.Second)
		if _, _, err := w2.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var wantRec []string
	for _, k := range want {
		wantRec = append(wantRec, strings.Replace(k, "hang/", "recovery/", 1))
	}
	if k := keys(rec.take()); !slices.Equal(k, wantRec) {
		t.Fatalf("recoveries %v, want %v", k, wantRec)
	}
	if n := len(w2.Open()); n != 0 {
		t.Errorf("%d alerts still open after recovery", n)
	}
	w3 := r.watcher(t, statePath, rec)
	if v, _, err := w3.Once(ctx); err != nil || v != verdict.Healthy {
		t.Errorf("after recovery: %s, %v; want HEALTHY", v, err)
	}
	if k := keys(rec.take()); len(k) != 0 {
		t.Errorf("after recovery, a fresh watchdog raised %v", k)
	}
}

func TestOnceVerdicts(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		want     verdict.Verdict
		alerts   int
	}{
		{"healthy", verdict.Healthy, 0},
		{"db-boot-hang", verdict.HangConfirmed, 4},
		// A crash loop restarts every 20 s, inside the 60 s grace, and logs
		// no full-scan op: unhealthy, not this incident, and no page.
		{"other-failure", verdict.NotThisIncident, 0},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			r := newRig(t, tc.scenario)
			rec := &recorder{}
			v, alerts, err := r.watcher(t, "", rec).Once(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if v != tc.want || len(alerts) != tc.alerts || rec.count() != tc.alerts {
				t.Errorf("got %s with %d alerts (%d sent), want %s with %d", v, len(alerts), rec.count(), tc.want, tc.alerts)
			}
		})
	}
}

func TestRunHealthyRaisesNothing(t *testing.T) {
	r := newRig(t, "healthy")
	rec := &recorder{}
	w := r.watcher(t, "", rec)
	polls := 0
	w.cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		polls++
		r.sim.Clock().Advance(d)
		if polls == 30 {
			return context.Canceled
		}
		return nil
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 0 {
		t.Errorf("healthy app raised %v", keys(rec.take()))
	}
}

// wedgedMachine is one machine whose boot started an integrity_check at
// start and never finished; api serves its logs in order up to the clock's now.
type wedgedMachine struct {
	mu       sync.Mutex
	now      time.Time
	start    time.Time
	failList int // ListMachines answers 503 this many times first
	auth     bool
}

func (f *wedgedMachine) api() *flyapitest.Fly {
	return &flyapitest.Fly{ListMachinesFunc: f.listMachines, GetLogsFunc: f.getLogs}
}

func (f *wedgedMachine) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *wedgedMachine) listMachines(_ context.Context, app string) ([]flyapi.Machine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.auth {
		return nil, &flyapi.APIError{Op: "list machines", App: app, Status: 401}
	}
	if f.failList > 0 {
		f.failList--
		return nil, &flyapi.APIError{Op: "list machines", App: app, Status: 503}
	}
	// Checks fail, so the machine also carries the checks signature.
	return []flyapi.Machine{{ID: "m1", State: "started", Region: "nrt",
		Checks: []flyapi.CheckStatus{{Name: "http", Status: flyapi.CheckCritical}},
		Events: []flyapi.MachineEvent{{Type: "start", Timestamp: f.start.UnixMilli()}}}}, nil
}

func (f *wedgedMachine) getLogs(_ context.Context, _ string, q flyapi.LogQuery) (flyapi.LogPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	from, _ := strconv.ParseInt(q.NextToken, 10, 64)
	lines := []flyapi.LogEntry{
		{Timestamp: f.start, Message: "INFO Starting init (commit: 6f2e8b0c)...", Instance: "m1", Region: "nrt"},
		{Timestamp: f.start.Add(time.Second), Message: "[entrypoint] running integrity_check on /data/autonomath.db ...", Instance: "m1", Region: "nrt"},
	}
	page := flyapi.LogPage{NextToken: q.NextToken}
	for _, l := range lines {
		if l.Timestamp.UnixNano() > from && !l.Timestamp.After(f.now) {
			page.Entries = append(page.Entries, l)
			page.NextToken = flyapi.TokenAt(l.Timestamp)
		}
	}
	return page, nil
}

// The alert arrives within one poll of start + hang_after.
func TestThresholdCrossingWithinOnePoll(t *testing.T) {
	for _, poll := range []time.Duration{time.Second, 10 * time.Second, 45 * time.Second} {
		t.Run(poll.String(), func(t *testing.T) {
			start := time.Date(2026, 5, 11, 11, 40, 0, 0, time.UTC)
			fly := &wedgedMachine{start: start, now: start.Add(-30 * time.Second)}
			opStart := start.Add(time.Second)
			hangAfter := 5 * time.Minute
			var alertAt time.Time
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := New(Config{App: "app", Runbook: runbook.Default(), Fly: fly.api(), Now: fly.clock, Poll: poll,
				Send: func(a notify.Alert) {
					if a.Op == "integrity_check" && alertAt.IsZero() {
						alertAt = a.At
						cancel()
					}
				},
				Sleep: func(ctx context.Context, d time.Duration) error {
					fly.mu.Lock()
					fly.now = fly.now.Add(d)
					fly.mu.Unlock()
					if fly.now.Sub(start) > time.Hour {
						return errors.New("no alert within an hour")
					}
					return ctx.Err()
				}})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			delay := alertAt.Sub(opStart.Add(hangAfter))
			t.Logf("poll %s: alert %s after the threshold", poll, delay)
			if alertAt.IsZero() || delay <= 0 || delay > poll {
				t.Errorf("alert at %s, threshold %s: want within one poll (%s) after it", alertAt, opStart.Add(hangAfter), poll)
			}
		})
	}
}

func TestTransientErrorsAreRetriedAuthIsFatal(t *testing.T) {
	start := time.Date(2026, 5, 11, 11, 40, 0, 0, time.UTC)
	fly := &wedgedMachine{start: start, now: start.Add(10 * time.Minute), failList: 2}
	var errs []error
	rec := &recorder{}
	polls := 0
	w, err := New(Config{App: "app", Runbook: runbook.Default(), Fly: fly.api(), Now: fly.clock, Send: rec.send,
		OnError: func(err error) { errs = append(errs, err) },
		Sleep: func(ctx context.Context, d time.Duration) error {
			if polls++; polls == 3 {
				fly.mu.Lock()
				fly.auth = true
				fly.mu.Unlock()
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Run(context.Background())
	if !flyapi.IsAuth(err) {
		t.Errorf("Run ended with %v, want the 401", err)
	}
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "503") {
		t.Errorf("transient errors reported: %v, want two 503s", errs)
	}
	if k := keys(rec.take()); !slices.Equal(k, []string{"hang/m1/checks", "hang/m1/integrity_check"}) {
		t.Errorf("alerts %v, want checks and integrity_check after the retries", k)
	}
}

func TestUnauthorisedTokenIsFatal(t *testing.T) {
	r := newRig(t, "healthy")
	bad, err := flyapi.New(flyapi.Config{MachinesBaseURL: r.srv.URL, LogsBaseURL: r.srv.URL, Token: "wrong-token"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Config{App: r.sim.App(), Runbook: runbook.Default(), Fly: bad})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); !flyapi.IsAuth(err) {
		t.Errorf("Run: %v, want a 401", err)
	}
	if _, _, err := w.Once(context.Background()); !flyapi.IsAuth(err) {
		t.Errorf("Once: %v, want a 401", err)
	}
}

// blocking is a notifier that never answers in time.
type blocking struct{}

func (blocking) Name() string { return "blocking" }
func (blocking) Notify(ctx context.Context, _ notify.Alert) error {
	<-ctx.Done()
	return ctx.Err()
}

// A notifier that times out does not delay detection: the dispatcher queues
// and the watchdog goes on. Reports the delay from watch start to the first
// alert against the simulated 38-minute-old wedge.
func TestSlowNotifierDoesNotDelayDetection(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	d := notify.NewDispatcher(notify.Options{Timeout: 10 * time.Second}, blocking{})
	defer func() {
		// Give up on the stuck notifier at once, as watch does after its drain.
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_ = d.Close(cctx)
	}()
	rec := &recorder{}
	first := make(chan time.Time, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polled := make(chan struct{}, 64) // one per poll done, as Run sleeps after it
	w, err := New(Config{App: r.sim.App(), Runbook: runbook.Default(), Fly: r.fly, Now: r.sim.Clock().Now,
		Poll: 50 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case polled <- struct{}{}:
			default:
			}
			return clock.Sleep(ctx, d)
		},
		Send: func(a notify.Alert) { d.Send(a); rec.send(a); first <- time.Now() }})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case at := <-first:
		t.Logf("first alert %s after watch start", at.Sub(began))
		if at.Sub(began) > 2*time.Second {
			t.Errorf("first alert took %s", at.Sub(began))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no alert within 5 s")
	}
	// Three more polls behind the stuck notifier, and no alert again.
	for len(polled) > 0 { // polls done before the first alert
		<-polled
	}
	for range 3 {
		select {
		case <-polled:
		case <-time.After(10 * time.Second):
			t.Fatal("the watchdog stopped polling behind the stuck notifier")
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	if rec.count() != 4 {
		t.Errorf("%d alerts, want 4", rec.count())
	}
}

func TestNewRejectsMissingParts(t *testing.T) {
	for _, cfg := range []Config{
		{Runbook: runbook.Default(), Fly: (&wedgedMachine{}).api()},
		{App: "a", Fly: (&wedgedMachine{}).api()},
		{App: "a", Runbook: runbook.Default()},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// A redeploy that wedges the machines again (the fix was not in the image)
// pages again, once per machine and signature, saying it is a new boot;
// the alerts open before are about boots that are gone. Later polls and a
// restarted watchdog stay quiet.
func TestRedeployThatWedgesAgainPagesAgain(t *testing.T) {
	r := newRig(t, "fix-missing")
	statePath := filepath.Join(t.TempDir(), "watch", r.sim.App()+".json")
	rec := &recorder{}
	w := r.watcher(t, statePath, rec)
	ctx := context.Background()
	if _, _, err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	first := rec.take()
	if len(first) != 4 {
		t.Fatalf("first poll raised %v, want 4 alerts", keys(first))
	}
	since := map[string]time.Time{}
	for _, a := range first {
		since[a.Machine+"/"+a.Op] = a.Since
	}

	r.deploy(t)
	for range 30 { // 15 minutes: the rolling update, then hang_after (5m) past the new boots
		r.sim.Clock().Advance(30 * time.Second)
		if _, _, err := w.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	again := rec.take()
	if k, want := keys(again), keys(first); !slices.Equal(k, want) {
		t.Fatalf("after the redeploy: %v, want %v again", k, want)
	}
	for _, a := range again {
		if !a.Since.After(since[a.Machine+"/"+a.Op]) {
			t.Errorf("%s/%s paged again with since %s, not after the first boot's %s", a.Machine, a.Op, a.Since, since[a.Machine+"/"+a.Op])
		}
		if !strings.Contains(a.Summary, "again (a new boot at ") {
			t.Errorf("summary does not say it is a new boot: %q", a.Summary)
		}
	}

	r.sim.Clock().Advance(time.Minute)
	if _, _, err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	w2 := r.watcher(t, statePath, rec)
	if _, _, err := w2.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if k := keys(rec.take()); len(k) != 0 {
		t.Fatalf("after paging again, the watchdog and a restarted one raised %v", k)
	}
}

// listing drops the machines in gone from the machine list, as Fly does
// once a machine is destroyed.
type listing struct {
	*flyapitest.Fly
	mu   sync.Mutex
	gone map[string]bool
}

func newListing(c flyapi.Client) *listing {
	l := &listing{Fly: flyapitest.Wrap(c), gone: map[string]bool{}}
	l.ListMachinesFunc = func(ctx context.Context, app string) ([]flyapi.Machine, error) {
		ms, err := c.ListMachines(ctx, app)
		l.mu.Lock()
		defer l.mu.Unlock()
		return slices.DeleteFunc(ms, func(m flyapi.Machine) bool { return l.gone[m.ID] }), err
	}
	return l
}

// A destroyed machine's alerts recover and the engine forgets it, so a
// watchdog running for weeks over an autoscaled app does not grow.
func TestDestroyedMachineIsForgotten(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	fly := newListing(r.fly)
	rec := &recorder{}
	w, err := New(Config{App: r.sim.App(), Runbook: runbook.Default(), Fly: fly, Now: r.sim.Clock().Now, Send: rec.send})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	ids := r.sim.MachineIDs()
	if n := w.eng.Machines(); n != len(ids) {
		t.Fatalf("engine holds %d machines, want %d", n, len(ids))
	}
	rec.take()
	fly.mu.Lock()
	fly.gone[ids[0]] = true
	fly.mu.Unlock()
	r.sim.Clock().Advance(10 * time.Second)
	if _, _, err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.eng.Machines(); n != len(ids)-1 {
		t.Errorf("engine holds %d machines after one was destroyed, want %d", n, len(ids)-1)
	}
	want := []string{"recovery/" + ids[0] + "/checks", "recovery/" + ids[0] + "/integrity_check"}
	if k := keys(rec.take()); !slices.Equal(k, want) {
		t.Errorf("alerts %v, want %v", k, want)
	}
}
