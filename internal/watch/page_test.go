package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyapi/flyapitest"
	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// receiver is a webhook on loopback that can be down, and records every
// page it confirmed.
type receiver struct {
	srv   *httptest.Server
	down  atomic.Bool
	delay time.Duration
	mu    sync.Mutex
	pages []notify.Alert
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.delay > 0 {
			time.Sleep(r.delay)
		}
		if r.down.Load() {
			http.Error(w, "receiver down", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(req.Body)
		var a notify.Alert
		if err := json.Unmarshal(b, &a); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.pages = append(r.pages, a)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) take() []notify.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.pages
	r.pages = nil
	return out
}

// fastDelivery keeps retries inside a test's patience.
var fastDelivery = notify.Options{Attempts: 2, Backoff: []time.Duration{time.Millisecond}, Timeout: 2 * time.Second}

func (r *rig) pager(t testing.TB, statePath string, recv *receiver, errs *[]string) *Watcher {
	t.Helper()
	var mu sync.Mutex
	w, err := New(Config{App: r.sim.App(), Runbook: runbook.Default(), Fly: r.fly, Now: r.sim.Clock().Now,
		StatePath: statePath, Delivery: fastDelivery,
		Notifiers: []notify.Notifier{&notify.Webhook{URL: recv.srv.URL + "/hook"}},
		OnError: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			if errs != nil {
				*errs = append(*errs, err.Error())
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func wedgedMachines(a notify.Alert) map[string]bool {
	out := map[string]bool{}
	for _, w := range a.Wedged {
		out[w.Machine] = true
	}
	return out
}

// One page names every wedged machine; nothing repeats it; the fix brings
// one recovery page naming them all.
func TestOnePagePerAppThenOneRecovery(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	recv := newReceiver(t)
	statePath := filepath.Join(t.TempDir(), "watch", r.sim.App()+".json")
	w := r.pager(t, statePath, recv, nil)
	ctx := context.Background()
	if _, _, err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	pages := recv.take()
	if len(pages) != 1 || pages[0].Kind != notify.KindHang {
		t.Fatalf("%d pages (%v), want one hang page", len(pages), pages)
	}
	got := wedgedMachines(pages[0])
	for _, id := range r.sim.MachineIDs() {
		if !got[id] || !strings.Contains(pages[0].Message(), id) {
			t.Errorf("the page does not name machine %s: %s", id, pages[0].Message())
		}
	}
	for range 3 {
		r.sim.Clock().Advance(time.Minute)
		if _, _, err := r.pager(t, statePath, recv, nil).Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p := recv.take(); len(p) != 0 {
		t.Fatalf("nothing changed, yet %d more pages", len(p))
	}
	r.deploy(t)
	for range 12 {
		r.sim.Clock().Advance(30 * time.Second)
		if _, _, err := w.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var kinds []string
	recovered := map[string]bool{}
	for _, p := range recv.take() {
		kinds = append(kinds, p.Kind)
		for _, x := range p.Recovered {
			recovered[x.Machine] = true
		}
	}
	if len(kinds) == 0 || kinds[len(kinds)-1] != notify.KindRecovery {
		t.Fatalf("pages after the fix: %v, want updates ending in a recovery", kinds)
	}
	for _, id := range r.sim.MachineIDs() {
		if !recovered[id] {
			t.Errorf("no page says machine %s recovered", id)
		}
	}
}

// The webhook is down: --once keeps the page owed in the state, says so,
// and a later run (a restart, the next cron) delivers it once.
func TestUndeliveredPageIsSentByTheNextRun(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	recv := newReceiver(t)
	recv.down.Store(true)
	statePath := filepath.Join(t.TempDir(), "watch", r.sim.App()+".json")
	var errs []string
	w := r.pager(t, statePath, recv, &errs)
	if v, _, err := w.Once(context.Background()); err != nil || v != verdict.HangConfirmed {
		t.Fatalf("Once: %s, %v", v, err)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "not delivered") || !strings.Contains(errs[0], "503") {
		t.Errorf("errors %q, want one saying the page was not delivered", errs)
	}
	if u := w.Undelivered(); len(u) != 1 || u[0].Notifier != "webhook" {
		t.Errorf("Undelivered() = %+v, want the webhook", u)
	}
	var st fileState
	if err := state.LoadJSON(statePath, &st); err != nil || len(st.Open) != 4 {
		t.Fatalf("state: %v, %d open", err, len(st.Open))
	}
	for k, s := range st.Sent {
		if len(s.Announced) != 0 || s.FailingSince.IsZero() {
			t.Errorf("state says %s confirmed %d alerts", k, len(s.Announced))
		}
	}

	recv.down.Store(false)
	r.sim.Clock().Advance(time.Minute)
	w2 := r.pager(t, statePath, recv, nil)
	if _, _, err := w2.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	pages := recv.take()
	if len(pages) != 1 || len(wedgedMachines(pages[0])) != len(r.sim.MachineIDs()) {
		t.Fatalf("the next run delivered %d pages, want the one owed naming every machine", len(pages))
	}
	if u := w2.Undelivered(); len(u) != 0 {
		t.Errorf("still undelivered after delivery: %+v", u)
	}
	if _, _, err := r.pager(t, statePath, recv, nil).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := recv.take(); len(p) != 0 {
		t.Errorf("delivered page sent again: %d", len(p))
	}
}

// A watchdog killed while its page was in flight (a slow webhook): the page
// was not confirmed, so the next run sends it.
func TestPageCutShortIsSentAgain(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	recv := newReceiver(t)
	recv.delay = 300 * time.Millisecond
	statePath := filepath.Join(t.TempDir(), "watch", r.sim.App()+".json")
	ctx, cancel := context.WithCancel(context.Background())
	w := r.pager(t, statePath, recv, nil)
	w.cfg.Deliver = func(ctx context.Context, n notify.Notifier, a notify.Alert) error {
		cancel() // the process is stopped while the page is on its way
		return notify.Deliver(ctx, n, a, fastDelivery)
	}
	w.Once(ctx)
	recv.delay = 0
	recv.take()
	if _, _, err := r.pager(t, statePath, recv, nil).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := recv.take(); len(p) != 1 || p[0].Kind != notify.KindHang {
		t.Fatalf("after the stopped run, %d pages; want the hang page sent once", len(p))
	}
}

// Machines that wedged and recovered while the webhook was down are
// reported when it is back, though none is wedged any more.
func TestWedgeMissedWhileDownIsReported(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	recv := newReceiver(t)
	recv.down.Store(true)
	statePath := filepath.Join(t.TempDir(), "watch", r.sim.App()+".json")
	w := r.pager(t, statePath, recv, nil)
	ctx := context.Background()
	w.Once(ctx)
	r.deploy(t)
	for range 12 {
		r.sim.Clock().Advance(30 * time.Second)
		w.Once(ctx)
	}
	if len(w.Open()) != 0 {
		t.Fatalf("%d still open after the fix", len(w.Open()))
	}
	recv.down.Store(false)
	w.Once(ctx)
	pages := recv.take()
	if len(pages) != 1 || pages[0].Kind != notify.KindRecovery || len(pages[0].Missed) != 4 {
		t.Fatalf("pages %+v, want one recovery naming the 4 missed alerts", pages)
	}
	if !strings.Contains(pages[0].Message(), "while no page could be delivered") {
		t.Errorf("message does not say the wedge was missed: %s", pages[0].Message())
	}
}

// Two watchdogs of one app, same notifier target, racing: one page.
func TestTwoWatchdogsPageOnce(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	recv := newReceiver(t)
	recv.delay = 50 * time.Millisecond // a page in flight while the other polls
	statePath := filepath.Join(t.TempDir(), "watch", r.sim.App()+".json")
	a, b := r.pager(t, statePath, recv, nil), r.pager(t, statePath, recv, nil)
	var wg sync.WaitGroup
	for _, w := range []*Watcher{a, b} {
		wg.Go(func() {
			for range 3 {
				if _, _, err := w.Once(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if p := recv.take(); len(p) != 1 {
		t.Fatalf("two watchdogs sent %d pages, want 1", len(p))
	}
}

// At 200 wedged machines the first poll sends one page naming all of them,
// and no alert is dropped (BenchmarkFleetPage measures 1,000: the
// simulator's log paging makes it too slow for every test run).
func TestFleetOfWedgedMachinesOnePage(t *testing.T) {
	const fleet = 200
	r := newRig(t, "db-boot-hang")
	r.sim.Grow(fleet)
	recv := newReceiver(t)
	w := r.pager(t, filepath.Join(t.TempDir(), "watch", "app.json"), recv, nil)
	if _, _, err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	pages := recv.take()
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	if n := len(wedgedMachines(pages[0])); n != fleet {
		t.Errorf("the page names %d machines, want %d", n, fleet)
	}
	if m := pages[0].Message(); len(m) > 4096 || !strings.Contains(m, "more") {
		t.Errorf("chat message is %d characters (Telegram takes 4096), or does not count the rest:\n%s", len(m), m)
	}
}

// An exec notifier (a real child process) that fails is retried next round.
func TestExecNotifierRetriedNextRound(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	dir := t.TempDir()
	flag := filepath.Join(dir, "up")
	out := filepath.Join(dir, "pages")
	cmd := fmt.Sprintf(`test -e %s || exit 7; echo "$JPOPS_ALERT_KIND" >> %s`, flag, out)
	var errs []string
	w, err := New(Config{App: r.sim.App(), Runbook: runbook.Default(), Fly: r.fly, Now: r.sim.Clock().Now,
		StatePath: filepath.Join(dir, "state.json"), Delivery: fastDelivery,
		Notifiers: []notify.Notifier{&notify.Exec{Command: cmd}},
		OnError:   func(err error) { errs = append(errs, err.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	w.Once(context.Background())
	if len(errs) == 0 || !strings.Contains(errs[0], "exit status 7") {
		t.Fatalf("errors %q, want the failing hook", errs)
	}
	if err := writeFile(flag); err != nil {
		t.Fatal(err)
	}
	w.Once(context.Background())
	if b, err := readFile(out); err != nil || strings.TrimSpace(b) != notify.KindHang {
		t.Fatalf("hook wrote %q (%v), want one hang page", b, err)
	}
}

var errNoFile = errors.New("no file")

func writeFile(p string) error { return os.WriteFile(p, []byte("1"), 0o600) }

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", errors.Join(errNoFile, err)
	}
	return string(b), nil
}

// An API error in a --once run is returned once, for its caller to print,
// naming the call once; it is not also reported as retried next poll.
func TestOnceAPIErrorSaidOnce(t *testing.T) {
	var reported []string
	w, err := New(Config{App: "autonomath-api", Runbook: runbook.Default(),
		Fly: &flyapitest.Fly{ListMachinesFunc: func(context.Context, string) ([]flyapi.Machine, error) {
			return nil, errors.New("list machines of app autonomath-api: Fly API answered 503 (after 4 attempts)")
		}},
		OnError: func(err error) { reported = append(reported, err.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	w.polled = true // a later poll: not a missing app
	_, _, err = w.Once(context.Background())
	if err == nil || len(reported) != 0 {
		t.Fatalf("Once = %v, and %d errors reported besides: want the error returned once", err, len(reported))
	}
	if msg := err.Error(); strings.Contains(msg, "retrying") || strings.Count(msg, "list machines") != 1 {
		t.Errorf("error %q: want the call named once and no retry promised", msg)
	}
}
