// Package watch is the watchdog of post-mortem AI-4: it follows an app's
// logs and machine checks, feeds the same boot-op signature engine as phase
// 2, and raises one alert per machine and op when the hang signature holds
// too long, then one recovery notice when it clears. Open alerts are kept in
// a state file so a restarted watchdog never pages twice for one hang.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog"
	"github.com/jpops-dev/jpops/internal/clock"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/health"
	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// OpChecks is the op of an alert raised by the checks signature alone: a
// machine started with failing checks past its grace period.
const OpChecks = "checks"

// Defaults.
const (
	DefaultPoll     = 10 * time.Second
	DefaultLookback = 10 * time.Minute
	// maxBackfill bounds how far back the first poll reads the logs of a
	// machine that has been failing since an old start.
	maxBackfill = 6 * time.Hour
	// maxPagesPerPoll stops one poll from paging forever behind a log
	// flood; the next poll continues from the same cursor.
	maxPagesPerPoll = 500
)

// Fly is what the watchdog reads from Fly: the machines' checks and the
// logs. *flyapi.HTTPClient is one; flyapitest.Fly fakes it.
type Fly interface {
	ListMachines(ctx context.Context, app string) ([]flyapi.Machine, error)
	flyapi.LogReader
}

// Config configures a Watcher. App, Runbook and Fly are required.
type Config struct {
	App       string
	Runbook   *runbook.Runbook
	Fly       Fly
	Now       func() time.Time                                 // default time.Now
	Sleep     func(ctx context.Context, d time.Duration) error // default: a timer
	Poll      time.Duration                                    // default DefaultPoll
	HangAfter time.Duration                                    // overrides every op's hang_after when > 0
	StatePath string                                           // open alerts; "" keeps them in memory only
	Send      func(notify.Alert)                               // hears each machine's change (wedged, recovered); must not block
	OnError   func(error)                                      // transient errors, retried next poll
	Lookback  time.Duration                                    // default max(DefaultLookback, 2×longest hang_after)
	Drill     bool                                             // alerts say they come from a drill

	// Notifiers get the grouped pages (see page.go), each page delivered
	// within the round through Deliver (default: notify.Deliver with
	// Delivery's attempts, backoff and timeout).
	Notifiers []notify.Notifier
	Delivery  notify.Options
	Deliver   func(ctx context.Context, n notify.Notifier, a notify.Alert) error
	// Heartbeat, when set, is called after each good round (machines and
	// logs read, every page delivered): a dead man's switch for the watchdog.
	Heartbeat func(ctx context.Context) error
}

// Watcher follows one app. It is not safe for concurrent use.
type Watcher struct {
	cfg     Config
	eng     *bootlog.Engine
	logs    *flyapi.LogIterator // nil until the first poll picks its start
	open    map[string]OpenAlert
	dirty   bool            // open changed since the last save
	polled  bool            // a poll has listed the machines once
	listed  map[string]bool // active machines of the last listing
	lastErr error           // the last poll's first transient error
	sent    map[string]*sentState
	once    bool // a --once run: errors are returned, not retried
}

// OpenAlert is one alert raised and not yet recovered, as kept in the state file.
type OpenAlert struct {
	Machine  string    `json:"machine"`
	Op       string    `json:"op"`
	Region   string    `json:"region,omitempty"`
	DB       string    `json:"db,omitempty"`
	Since    time.Time `json:"since"`
	RaisedAt time.Time `json:"raised_at"`
	Evidence string    `json:"evidence,omitempty"`
}

// fileState is the state file: the app's open alerts, and what each
// notifier target has confirmed (keyed by notify.Key).
type fileState struct {
	App  string                `json:"app"`
	Open []OpenAlert           `json:"open"`
	Sent map[string]*sentState `json:"sent,omitempty"`
}

// New checks cfg and loads the open alerts from cfg.StatePath.
func New(cfg Config) (*Watcher, error) {
	switch {
	case cfg.App == "":
		return nil, errors.New("watch: no app: pass -a APP")
	case cfg.Runbook == nil:
		return nil, errors.New("watch: no runbook")
	case cfg.Fly == nil:
		return nil, errors.New("watch: no Fly API client")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = clock.Sleep
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Lookback <= 0 {
		cfg.Lookback = DefaultLookback
		for _, op := range cfg.Runbook.BootOps {
			cfg.Lookback = max(cfg.Lookback, 2*op.HangAfter.Duration)
		}
		cfg.Lookback = max(cfg.Lookback, 2*cfg.HangAfter)
	}
	if cfg.Send == nil {
		cfg.Send = func(notify.Alert) {}
	}
	if cfg.OnError == nil {
		cfg.OnError = func(error) {}
	}
	if cfg.Deliver == nil {
		opts := cfg.Delivery
		cfg.Deliver = func(ctx context.Context, n notify.Notifier, a notify.Alert) error {
			return notify.Deliver(ctx, n, a, opts)
		}
	}
	w := &Watcher{cfg: cfg, eng: bootlog.New(cfg.Runbook), open: map[string]OpenAlert{}, listed: map[string]bool{}, sent: map[string]*sentState{}}
	w.eng.SetHangAfter(cfg.HangAfter)
	if err := w.reload(); err != nil {
		return nil, err
	}
	return w, nil
}

func key(machine, op string) string { return machine + "\x00" + op }

// Open returns the open alerts, sorted by machine then op.
func (w *Watcher) Open() []OpenAlert {
	out := make([]OpenAlert, 0, len(w.open))
	for _, a := range w.open {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b OpenAlert) int {
		if a.Machine != b.Machine {
			return compare(a.Machine, b.Machine)
		}
		return compare(a.Op, b.Op)
	})
	return out
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Run polls until ctx is done, sleeping cfg.Poll between polls. Transient
// API errors go to OnError and are retried next poll; it returns early only
// when the API refuses the token, the app is not found on the first poll,
// or the state file cannot be written.
func (w *Watcher) Run(ctx context.Context) error {
	for {
		if _, _, err := w.round(ctx); err != nil {
			return err
		}
		if err := w.cfg.Sleep(ctx, w.cfg.Poll); err != nil {
			return ctx.Err()
		}
	}
}

// Once polls a single time, for cron: it reads the lookback window (and
// back to the last start of any failing machine), sends the alerts that
// are due (deduplicated through the state file) and returns them with the
// verdict of what it saw:
//
//   - HANG_CONFIRMED: a boot op ran past its hang_after on a machine that is
//     not passing its checks;
//   - INCONCLUSIVE: machines carry the checks signature (or are failing
//     inside their grace period) without log evidence of a hung op, or an op
//     is still short of its hang_after;
//   - NOT_THIS_INCIDENT: machines are unhealthy in another way (failed,
//     crash-looping, stopped after a crash), or the app has no machines;
//   - HEALTHY: every machine started with every check passing.
//
// A transient API error is returned, not retried: cron runs again.
func (w *Watcher) Once(ctx context.Context) (verdict.Verdict, []notify.Alert, error) {
	w.once = true
	v, alerts, err := w.round(ctx)
	if err == nil {
		err = w.lastErr
	}
	if err != nil {
		return "", alerts, err
	}
	return v, alerts, nil
}

// round is one poll and its pages, under the app's watch lock: the state
// another watchdog of the app saved is read first, and this one's saved
// before the lock is let go.
func (w *Watcher) round(ctx context.Context) (verdict.Verdict, []notify.Alert, error) {
	unlock, err := w.lockState(ctx)
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	if err := w.reload(); err != nil {
		return "", nil, err
	}
	v, alerts, err := w.poll(ctx)
	if err != nil {
		if serr := w.save(); serr != nil {
			w.cfg.OnError(serr)
		}
		return v, alerts, err
	}
	// Pages owed from earlier rounds go out even when this poll could not
	// read the machines: the open set they describe is unchanged.
	delivered := w.deliverPages(ctx, w.cfg.Now())
	if err := w.save(); err != nil {
		return v, alerts, err
	}
	if w.cfg.Heartbeat != nil && delivered && w.lastErr == nil && v != "" && ctx.Err() == nil {
		if err := w.cfg.Heartbeat(ctx); err != nil {
			w.cfg.OnError(fmt.Errorf("heartbeat: %w", err))
		}
	}
	return v, alerts, nil
}

// machineView is what one poll learnt about a machine.
type machineView struct {
	m         *flyapi.Machine
	health    string // a health.Class
	lastStart time.Time
	judged    health.Machine
}

// poll lists the machines, catches up the logs, and raises or clears alerts.
// Transient errors are reported and kept in lastErr, and the poll goes on
// with what it has; the error returned is fatal.
func (w *Watcher) poll(ctx context.Context) (verdict.Verdict, []notify.Alert, error) {
	w.lastErr = nil
	report := func(err error) {
		if w.lastErr == nil {
			w.lastErr = err
		}
		if !w.once { // a --once run returns the error: said once, by its caller
			w.cfg.OnError(fmt.Errorf("%w (retrying next poll)", err))
		}
	}
	machines, err := w.cfg.Fly.ListMachines(ctx, w.cfg.App)
	listed := err == nil
	if err != nil {
		if fatal(err, w.polled) || ctx.Err() != nil {
			return "", nil, err
		}
		report(fmt.Errorf("watch: %w", err)) // the client's error names the call and the app
	}
	now := w.cfg.Now()
	views := map[string]machineView{}
	for i := range machines {
		m := &machines[i]
		if health.InApp(m) {
			views[m.ID] = w.view(m, now)
		}
	}
	if listed {
		w.polled = true
		// A machine listed before and gone now was destroyed: its boot
		// state would only grow the engine over weeks of autoscaling. One
		// never listed yet may be new, so its lines are kept.
		for id := range w.listed {
			if _, ok := views[id]; !ok {
				w.eng.Forget(id)
				delete(w.listed, id)
			}
		}
		for id := range views {
			w.listed[id] = true
		}
	}
	if w.logs == nil && listed {
		w.logs = flyapi.NewLogIterator(w.cfg.Fly, w.cfg.App, flyapi.LogQuery{}, w.logStart(views, now))
	}
	if w.logs != nil {
		if err := w.catchUp(ctx); err != nil {
			if flyapi.IsAuth(err) || ctx.Err() != nil {
				return "", nil, err
			}
			report(fmt.Errorf("watch: read logs of %s: %w", w.cfg.App, err))
		}
	}
	if !listed {
		// Without the machines, alerts cannot be judged; keep them as they are.
		return verdict.Inconclusive, nil, nil
	}
	now = w.cfg.Now()
	findings := w.eng.Findings(now)
	alerts := w.evaluate(views, findings, now)
	if err := w.save(); err != nil {
		return "", alerts, err
	}
	return w.verdict(views, findings), alerts, nil
}

// fatal: the API refused the token, or the app does not exist when the
// watchdog starts (a typo, not an outage).
func fatal(err error, polled bool) bool {
	return flyapi.IsAuth(err) || (!polled && errors.Is(err, flyapi.ErrNotFound))
}

// logStart is where the first poll starts reading logs: the lookback
// window, extended back to the last start of any machine that is not
// healthy, so a wedge older than the window is still seen from its start.
func (w *Watcher) logStart(views map[string]machineView, now time.Time) time.Time {
	start := now.Add(-w.cfg.Lookback)
	for _, v := range views {
		if v.health != "healthy" && !v.lastStart.IsZero() {
			start = minTime(start, v.lastStart.Add(-time.Minute))
		}
	}
	return maxTime(start, now.Add(-maxBackfill))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// catchUp pages the logs forward until caught up, feeding the engine.
func (w *Watcher) catchUp(ctx context.Context) error {
	for range maxPagesPerPoll {
		entries, err := w.logs.Next(ctx)
		for _, le := range entries {
			w.eng.Feed(bootlog.Entry{Time: le.Timestamp, Machine: le.Instance, Region: le.Region, Provider: le.Provider, Level: le.Level, Message: le.Message})
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *Watcher) view(m *flyapi.Machine, now time.Time) machineView {
	judged := health.Of(m, w.cfg.Runbook.Checks, now)
	return machineView{m: m, lastStart: m.LastStart(), health: string(judged.Class), judged: judged}
}

// evaluate raises the alerts that are due and clears those that recovered.
func (w *Watcher) evaluate(views map[string]machineView, findings []bootlog.Finding, now time.Time) []notify.Alert {
	var out []notify.Alert
	emit := func(a notify.Alert) {
		a.App, a.At, a.Drill = w.cfg.App, now, w.cfg.Drill
		a = a.Redacted()
		w.dirty = true
		out = append(out, a)
		w.cfg.Send(a)
	}
	// Boot ops: a hung op on a machine not serving raises; a completion clears.
	for _, f := range findings {
		k := key(f.Machine, f.Op)
		v, known := views[f.Machine]
		open, isOpen := w.open[k]
		switch {
		case f.Status == bootlog.Hung && (!isOpen || f.StartedAt.After(open.Since)) && (!known || v.health != "healthy"):
			// A later boot that wedged again (a redeploy that did not fix
			// it) pages again: the alert open is about a boot that is gone.
			w.open[k] = OpenAlert{Machine: f.Machine, Op: f.Op, Region: f.Region, DB: f.DB, Since: f.StartedAt, RaisedAt: now, Evidence: redact.String(f.StartLine)}
			emit(w.hangAlert(f, isOpen))
		case f.Status == bootlog.Completed && isOpen:
			a := w.open[k]
			delete(w.open, k)
			w.closed(a)
			emit(recovery(a, now, f.CompletionLine, fmt.Sprintf("%s completed", f.Op)))
		}
	}
	// Checks signature.
	ids := make([]string, 0, len(views))
	for id := range views {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		v := views[id]
		k := key(id, OpChecks)
		if open, isOpen := w.open[k]; v.health == "signature" && (!isOpen || v.lastStart.After(open.Since)) {
			w.open[k] = OpenAlert{Machine: id, Op: OpChecks, Region: v.m.Region, Since: v.lastStart, RaisedAt: now, Evidence: redact.String(checksLine(v.m))}
			emit(w.checksAlert(v, now, isOpen))
		}
	}
	// Passing checks clear every open alert of the machine; so does its end.
	for _, a := range w.Open() {
		v, known := views[a.Machine]
		switch {
		case known && v.health == "healthy":
			delete(w.open, key(a.Machine, a.Op))
			w.closed(a)
			emit(recovery(a, now, checksLine(v.m), "its checks pass again"))
		case !known:
			delete(w.open, key(a.Machine, a.Op))
			w.closed(a)
			emit(recovery(a, now, "", "the machine is no longer an active machine of the app"))
		}
	}
	return out
}

func (w *Watcher) command(machine string) string {
	return fmt.Sprintf("jpops run -a %s --machine %s", w.cfg.App, machine)
}

// hangAlert pages for a hung boot op; again when an earlier boot of the
// machine was already paged for and this is a later one.
func (w *Watcher) hangAlert(f bootlog.Finding, again bool) notify.Alert {
	a := notify.Alert{
		Kind: notify.KindHang, Machine: f.Machine, Region: f.Region, Op: f.Op, DB: f.DB,
		Since: f.StartedAt, RunningFor: f.RunningFor, Evidence: f.StartLine, Command: w.command(f.Machine),
	}
	a.Summary = fmt.Sprintf("%s is stuck at boot%s: %s on %s has run for %s with no completion line.",
		where(w.cfg.App, a.Machine, a.Region), againAfter(again, f.StartedAt), f.Op, f.DB, f.RunningFor.Round(time.Second))
	return a
}

func againAfter(again bool, start time.Time) string {
	if !again {
		return ""
	}
	return " again (a new boot at " + start.UTC().Format(time.RFC3339) + ")"
}

func (w *Watcher) checksAlert(v machineView, now time.Time, again bool) notify.Alert {
	passing, total := v.m.ChecksPassing()
	running := now.Sub(v.lastStart)
	a := notify.Alert{
		Kind: notify.KindHang, Machine: v.m.ID, Region: v.m.Region, Op: OpChecks,
		Since: v.lastStart, RunningFor: running, Evidence: checksLine(v.m), Command: w.command(v.m.ID),
	}
	a.Summary = fmt.Sprintf("%s is started%s but passes %d/%d health checks, %s after its start (grace %s).",
		where(w.cfg.App, a.Machine, a.Region), againAfter(again, v.lastStart), passing, total, running.Round(time.Second),
		v.m.GracePeriod(w.cfg.Runbook.Checks.DefaultGrace.Duration))
	return a
}

func recovery(a OpenAlert, now time.Time, evidence, why string) notify.Alert {
	lasted := time.Duration(0)
	if !a.Since.IsZero() {
		lasted = max(now.Sub(a.Since), 0)
	}
	return notify.Alert{
		Kind: notify.KindRecovery, Machine: a.Machine, Region: a.Region, Op: a.Op, DB: a.DB,
		Since: a.Since, RunningFor: lasted, Evidence: evidence,
		Summary: fmt.Sprintf("%s recovered from %s: %s, %s after it began.", where("", a.Machine, a.Region), a.Op, why, lasted.Round(time.Second)),
	}
}

func where(app, machine, region string) string {
	s := "machine " + machine
	if app != "" {
		s = app + " " + s
	}
	if region != "" {
		s += " (" + region + ")"
	}
	return s
}

// checksLine is the machine's checks as one evidence line.
func checksLine(m *flyapi.Machine) string {
	s := ""
	for i, c := range m.Checks {
		if i > 0 {
			s += "; "
		}
		s += c.Name + ": " + c.Status
		if c.Output != "" {
			s += ": " + c.Output
		}
	}
	return s
}

// verdict judges what the poll saw (see Once), by the same table as diagnose.
func (w *Watcher) verdict(views map[string]machineView, findings []bootlog.Finding) verdict.Verdict {
	judged := make([]health.Machine, 0, len(views))
	for _, v := range views {
		judged = append(judged, v.judged)
	}
	return health.Judge(judged, &health.Logs{Findings: findings}).Verdict
}

// save writes the open alerts when they changed since the last save.
func (w *Watcher) save() error {
	if w.cfg.StatePath == "" || !w.dirty {
		return nil
	}
	if err := state.SaveJSON(w.cfg.StatePath, fileState{App: w.cfg.App, Open: w.Open(), Sent: w.sent}); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	w.dirty = false
	return nil
}
