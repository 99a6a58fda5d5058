package watch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/state"
)

// Pages. The watchdog keeps, per app, the set of machines and ops it
// believes wedged (the open alerts). Each notifier target has its own
// record of the set it last confirmed delivering. After every poll, a
// target whose record differs from the open set gets one page for the
// whole app: every machine wedged now (the new ones marked), those that
// recovered since its last page, and those that wedged and recovered
// while no page reached it. Its record moves only when it confirms the
// page, so a page that fails is composed again, with the latest picture,
// at the next poll, by the next --once run, or after a restart: nothing is
// dropped and nothing is paged twice. See docs/watchdog.md.

// sentState is what one notifier target has confirmed.
type sentState struct {
	Announced    []OpenAlert `json:"announced"`
	Missed       []OpenAlert `json:"missed,omitempty"`
	FailingSince time.Time   `json:"failing_since,omitzero"`
	LastError    string      `json:"last_error,omitempty"`
}

func (s *sentState) announced(a OpenAlert) bool {
	for _, x := range s.Announced {
		if x.Machine == a.Machine && x.Op == a.Op && x.Since.Equal(a.Since) {
			return true
		}
	}
	return false
}

// Undelivered is a notifier target whose latest page has not been
// confirmed: what the watchdog would give up on if it stopped now.
type Undelivered struct {
	Notifier string    // its name (telegram, webhook, ...)
	Since    time.Time // first failure
	Err      string    // last failure, redacted
}

// closed records alerts leaving the open set, so a target never told of
// them hears they happened.
func (w *Watcher) closed(a OpenAlert) {
	for _, n := range w.cfg.Notifiers {
		s := w.sentTo(n)
		if !s.announced(a) && !slices.ContainsFunc(s.Missed, func(x OpenAlert) bool { return x == a }) {
			s.Missed = append(s.Missed, a)
		}
	}
}

func (w *Watcher) sentTo(n notify.Notifier) *sentState {
	k := notify.Key(n)
	s := w.sent[k]
	if s == nil {
		s = &sentState{}
		w.sent[k] = s
	}
	return s
}

// page composes the page one target is owed, or reports none is.
func (w *Watcher) page(s *sentState, now time.Time) (notify.Alert, bool) {
	open := w.Open()
	var wedged, recovered, missed []notify.Wedge
	news := 0
	for _, a := range open {
		wg := wedgeOf(a, now)
		wg.New = !s.announced(a)
		if wg.New {
			news++
		}
		wedged = append(wedged, wg)
	}
	for _, a := range s.Announced {
		if _, still := w.open[key(a.Machine, a.Op)]; !still {
			recovered = append(recovered, wedgeOf(a, now))
		}
	}
	for _, a := range s.Missed {
		missed = append(missed, wedgeOf(a, now))
	}
	if news == 0 && len(recovered) == 0 && len(missed) == 0 {
		return notify.Alert{}, false
	}
	p := notify.Alert{App: w.cfg.App, At: now, Drill: w.cfg.Drill, Wedged: wedged, Recovered: recovered, Missed: missed}
	switch {
	case len(wedged) == 0:
		p.Kind = notify.KindRecovery
	case len(s.Announced) == 0:
		p.Kind = notify.KindHang
	default:
		p.Kind = notify.KindUpdate
	}
	// The single-machine fields carry the first new wedge (else the first
	// wedge, else the first recovery) for receivers that read only those.
	lead := slices.IndexFunc(wedged, func(x notify.Wedge) bool { return x.New })
	var first notify.Wedge
	switch {
	case lead >= 0:
		first = wedged[lead]
	case len(wedged) > 0:
		first = wedged[0]
	case len(recovered) > 0:
		first = recovered[0]
	case len(missed) > 0:
		first = missed[0]
	}
	p.Machine, p.Region, p.Op, p.DB, p.Since, p.RunningFor, p.Evidence = first.Machine, first.Region, first.Op, first.DB, first.Since, first.RunningFor, first.Evidence
	if len(wedged) > 0 {
		p.Command = "jpops run -a " + w.cfg.App
		if machines := machineCount(wedged); machines == 1 {
			p.Command += " --machine " + wedged[0].Machine
		}
	}
	p.Summary = summary(w.cfg.App, wedged, news, recovered, missed)
	return p.Redacted(), true
}

func wedgeOf(a OpenAlert, now time.Time) notify.Wedge {
	return notify.Wedge{Machine: a.Machine, Region: a.Region, Op: a.Op, DB: a.DB, Since: a.Since,
		RunningFor: max(now.Sub(a.Since), 0), Evidence: a.Evidence}
}

func machineCount(ws []notify.Wedge) int {
	seen := map[string]bool{}
	for _, w := range ws {
		seen[w.Machine] = true
	}
	return len(seen)
}

// summary is the page in one sentence.
func summary(app string, wedged []notify.Wedge, news int, recovered, missed []notify.Wedge) string {
	var parts []string
	if n := machineCount(wedged); n > 0 {
		s := fmt.Sprintf("%d machine(s) stuck at boot", n)
		if n == 1 {
			w := wedged[0]
			s = fmt.Sprintf("machine %s%s is stuck at boot: %s%s for %s", w.Machine, paren(w.Region), w.Op, on(w.DB), w.RunningFor.Round(time.Second))
		}
		if news > 0 && news < len(wedged) {
			s += fmt.Sprintf(" (%d new since the last page)", news)
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, "no machine is stuck at boot any more")
	}
	if n := machineCount(recovered); n > 0 {
		parts = append(parts, fmt.Sprintf("%d recovered", n))
	}
	if n := machineCount(missed); n > 0 {
		parts = append(parts, fmt.Sprintf("%d wedged and recovered while no page could be delivered", n))
	}
	return app + ": " + strings.Join(parts, "; ") + "."
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func on(db string) string {
	if db == "" {
		return ""
	}
	return " on " + db
}

// deliverPages sends every target the page it is owed, all at once, and
// moves a target's record only when it confirmed delivery. It reports
// whether every target is up to date.
func (w *Watcher) deliverPages(ctx context.Context, now time.Time) bool {
	type job struct {
		n    notify.Notifier
		s    *sentState
		page notify.Alert
		err  error
	}
	var jobs []*job
	for _, n := range w.cfg.Notifiers {
		s := w.sentTo(n)
		if p, owed := w.page(s, now); owed {
			jobs = append(jobs, &job{n: n, s: s, page: p})
		}
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { j.err = w.cfg.Deliver(ctx, j.n, j.page) })
	}
	wg.Wait()
	ok := true
	for _, j := range jobs {
		w.dirty = true
		if j.err == nil {
			j.s.Announced, j.s.Missed = w.Open(), nil
			j.s.FailingSince, j.s.LastError = time.Time{}, ""
			continue
		}
		ok = false
		if j.s.FailingSince.IsZero() {
			j.s.FailingSince = now
		}
		j.s.LastError = redact.String(j.err.Error())
		w.cfg.OnError(fmt.Errorf("notify %s: %s page not delivered: %s; kept in the watch state and sent again next poll",
			j.n.Name(), j.page.Kind, j.s.LastError))
	}
	return ok
}

// Undelivered lists the targets whose latest page is not confirmed.
func (w *Watcher) Undelivered() []Undelivered {
	var out []Undelivered
	for _, n := range w.cfg.Notifiers {
		s := w.sent[notify.Key(n)]
		if s != nil && !s.FailingSince.IsZero() {
			out = append(out, Undelivered{Notifier: n.Name(), Since: s.FailingSince, Err: s.LastError})
		}
	}
	return out
}

// lockState takes the app's watch lock, so two watchdogs of one app take
// turns: each round reads the state the other saved, and a page one of
// them delivered is never sent again by the other. It gives up when ctx ends.
func (w *Watcher) lockState(ctx context.Context) (unlock func(), err error) {
	if w.cfg.StatePath == "" {
		return func() {}, nil
	}
	return lockFile(ctx, w.cfg.StatePath+".lock")
}

// reload reads the state file under the lock: another watchdog of the app
// may have moved it since this one last saved.
func (w *Watcher) reload() error {
	if w.cfg.StatePath == "" {
		return nil
	}
	var fs fileState
	if err := state.LoadJSON(w.cfg.StatePath, &fs); err != nil {
		return err
	}
	if fs.App != "" && fs.App != w.cfg.App {
		return nil
	}
	w.open = map[string]OpenAlert{}
	for _, a := range fs.Open {
		w.open[key(a.Machine, a.Op)] = a
	}
	w.sent = map[string]*sentState{}
	for k, s := range fs.Sent {
		w.sent[k] = s
	}
	return nil
}
