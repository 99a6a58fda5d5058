package phases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/bootlog"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/health"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// MachineView is one machine as phase 1 saw it (a machine of the --json diagnosis).
type MachineView struct {
	ID            string  `json:"id"`
	Region        string  `json:"region"`
	State         string  `json:"state"`
	ChecksPassing int     `json:"checks_passing"`
	ChecksTotal   int     `json:"checks_total"`
	Image         string  `json:"image"`
	Digest        string  `json:"digest,omitempty"`
	UpdatedAt     string  `json:"updated_at,omitempty"`
	Signature     bool    `json:"signature"`
	SinceS        float64 `json:"since_s,omitempty"` // how long it has been started, for signature machines
	Health        string  `json:"health"`            // a health.Class: healthy | signature | warming | idle | transient | unknown | unhealthy

	lastStart time.Time
	judged    health.Machine
}

// Evidence is one boot-op line that supports the verdict.
type Evidence struct {
	Machine     string  `json:"machine"`
	Timestamp   string  `json:"timestamp"`
	Op          string  `json:"op"`
	DB          string  `json:"db"`
	Line        string  `json:"line"`
	RunningForS float64 `json:"running_for_s"`
	Status      string  `json:"status"`
	Completion  string  `json:"completion,omitempty"`
}

// Diagnosis is the outcome of phases 1 and 2.
type Diagnosis struct {
	Verdict  verdict.Verdict
	Reason   string
	Next     advice.Advice
	Machines []MachineView
	Evidence []Evidence
	Unread   []Unread // signature machines whose logs could not be read
}

// Unread is a signature machine whose logs could not be read, so nothing is
// known of its boot. It is never left out: the reason, the journal and every
// face name it.
type Unread struct {
	Machine string `json:"machine"`
	Error   string `json:"error"`
}

// Diagnose runs phases 1 and 2, read-only.
func Diagnose(ctx context.Context, o Options) (Diagnosis, error) {
	e, err := newEngine(o)
	if err != nil {
		return Diagnosis{}, err
	}
	return e.diagnose(e.observeRetries(ctx))
}

func (e *engine) diagnose(ctx context.Context) (Diagnosis, error) {
	d, err := e.phase1(ctx)
	if err != nil || d.Verdict != "" {
		return d, err
	}
	return e.phase2(ctx, d)
}

// phase1 lists the machines and finds the checks signature. It returns a
// final verdict (Verdict set) when phase 2 has nothing to look at.
func (e *engine) phase1(ctx context.Context) (Diagnosis, error) {
	const id = runbook.PhaseDiagnose
	if err := e.phaseStart(id); err != nil {
		return Diagnosis{}, err
	}
	machines, err := e.o.Fly.ListMachines(ctx, e.o.App)
	if err != nil {
		_ = e.phaseEnd(id, "failed", err.Error())
		return Diagnosis{}, fmt.Errorf("phase 1: %w", err) // the client names the call and the app
	}
	now := e.o.Now()
	var d Diagnosis
	for i := range machines {
		m := &machines[i]
		if !health.InApp(m) || (e.o.Machine != "" && m.ID != e.o.Machine) {
			continue
		}
		v := e.view(m, now)
		d.Machines = append(d.Machines, v)
		if err := e.emit(id, journal.Machine{
			ID: v.ID, Region: v.Region, State: v.State, ChecksPassing: v.ChecksPassing,
			ChecksTotal: v.ChecksTotal, Image: v.Image, Digest: v.Digest, UpdatedAt: v.UpdatedAt,
			Signature: v.Signature, SinceS: v.SinceS, Health: v.Health,
		}); err != nil {
			return d, err
		}
	}
	sort.SliceStable(d.Machines, func(i, j int) bool { return d.Machines[i].ID < d.Machines[j].ID })
	j := health.Judge(judged(d.Machines), nil)
	if j.ReadLogs {
		return d, e.phaseEnd(id, "passed", j.Reason)
	}
	d.Verdict, d.Reason, d.Next = e.judgement(j)
	if len(d.Machines) == 0 {
		d.Reason = fmt.Sprintf("%s has no active machines", e.o.App)
		if e.o.Machine != "" {
			d.Reason = fmt.Sprintf("machine %s is not an active machine of %s", e.o.Machine, e.o.App)
		}
	}
	if err := e.phaseEnd(id, "passed", d.Reason); err != nil {
		return d, err
	}
	return d, e.verdict(id, d.Verdict, d.Reason, d.Next)
}

// judgement is a health judgement with the next step an operator takes.
func (e *engine) judgement(j health.Judgement) (verdict.Verdict, string, advice.Advice) {
	var next advice.Advice
	app := e.o.App
	switch {
	case j.Again:
		next = advice.Cmd("again in a minute: the machines are still starting", "jpops", "diagnose", "-a", app)
	case j.Verdict == verdict.NotThisIncident:
		next = advice.Cmd("read why the machines are down: this is not the boot hang the runbook escapes", "flyctl", "logs", "-a", app, "--no-tail")
	case j.Verdict == verdict.HangConfirmed:
		next = advice.Cmd("", "jpops", "run", "-a", app) // it stops at a typed gate before it deploys
	case j.Verdict == verdict.Inconclusive:
		next = advice.Cmd(fmt.Sprintf("read the boot by eye; if you are sure it is the hang, jpops run -a %s --force walks the runbook anyway", app), "flyctl", "logs", "-a", app, "--no-tail")
	}
	return j.Verdict, j.Reason, next
}

func judged(views []MachineView) []health.Machine {
	out := make([]health.Machine, len(views))
	for i, v := range views {
		out[i] = v.judged
	}
	return out
}

func (e *engine) view(m *flyapi.Machine, now time.Time) MachineView {
	passing, total := m.ChecksPassing()
	v := MachineView{
		ID: m.ID, Region: m.Region, State: m.State, ChecksPassing: passing, ChecksTotal: total,
		Image: m.Image(), Digest: m.ImageRef.Digest, UpdatedAt: m.UpdatedAt, lastStart: m.LastStart(),
	}
	v.judged = health.Of(m, e.o.Runbook.Checks, now)
	v.Health = string(v.judged.Class)
	if v.judged.Class == health.Signature {
		v.Signature, v.SinceS = true, seconds(now.Sub(v.lastStart))
	}
	return v
}

// phase2 reads the signature machines' logs back to their last start and
// matches the boot-op signatures.
func (e *engine) phase2(ctx context.Context, d Diagnosis) (Diagnosis, error) {
	const id = runbook.PhaseBootlogs
	if err := e.phaseStart(id); err != nil {
		return d, err
	}
	var wedged []MachineView
	for _, m := range d.Machines {
		if m.Signature {
			wedged = append(wedged, m)
		}
	}
	now := e.o.Now()
	boot := bootlog.New(e.o.Runbook) // compiled once; each machine reads with a Fresh copy
	results := make([][]bootlog.Finding, len(wedged))
	errs := make([]error, len(wedged))
	g, gctx := errgroup.WithContext(ctx)
	readers := e.o.Concurrency
	if readers <= 0 {
		// Every machine waits in the API client's line at once, so its
		// rank (WithRank below) decides the order and no machine starts
		// late with all its pages still to read.
		readers = min(len(wedged), maxReaders)
	}
	g.SetLimit(max(readers, 1))
	for i, m := range wedged {
		g.Go(func() error {
			results[i], errs[i] = e.machineFindings(gctx, boot.Fresh(), m, i, now)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return d, err
	}
	var all []bootlog.Finding
	var unavailable []string
	for i, m := range wedged {
		if errs[i] != nil {
			if flyapi.IsAuth(errs[i]) {
				_ = e.phaseEnd(id, "failed", errs[i].Error())
				return d, errs[i]
			}
			unavailable = append(unavailable, fmt.Sprintf("%s: %v", m.ID, errs[i]))
			d.Unread = append(d.Unread, Unread{Machine: m.ID, Error: errs[i].Error()})
			continue
		}
		all = append(all, results[i]...)
	}
	for _, u := range d.Unread {
		if err := e.emit(id, journal.Note{Text: fmt.Sprintf("the logs of machine %s could not be read: %s", u.Machine, u.Error)}); err != nil {
			return d, err
		}
	}
	for _, f := range all {
		ev := EvidenceOf(f)
		d.Evidence = append(d.Evidence, ev)
		if err := e.emit(id, journal.Evidence{
			Machine: ev.Machine, Timestamp: ev.Timestamp, Op: ev.Op, DB: ev.DB, Line: ev.Line,
			RunningForS: ev.RunningForS, Status: ev.Status, Completion: ev.Completion,
		}); err != nil {
			return d, err
		}
	}
	d.Verdict, d.Reason, d.Next = e.judgement(health.Judge(judged(d.Machines), &health.Logs{Findings: all, Unavailable: unavailable}))
	if d.Verdict == verdict.HangConfirmed && len(d.Unread) > 0 {
		d.Reason += unreadNote(all, len(wedged), d.Unread)
	}
	status := "passed"
	if len(unavailable) == len(wedged) && len(wedged) > 0 {
		status = "failed"
	}
	if err := e.phaseEnd(id, status, d.Reason); err != nil {
		return d, err
	}
	return d, e.verdict(id, d.Verdict, d.Reason, d.Next)
}

// rankWindow is how many machines' pages are read in the order of their
// number (see pageRank): twice the API client's most requests in flight.
const rankWindow = 2 * flyapi.DefaultMaxInFlight

// pageRank is the rank (flyapi.WithRank) of the index-th machine's page.
// Within a window of rankWindow machines every first page goes before any
// second, so a small fleet's last round holds last pages only, not a
// machine that started late with all its pages still to read; past the
// window, machines go in order, so a large fleet's machine is read within
// a few rounds, not spread over the whole run, when the lines it logs
// meanwhile would cost it more pages.
func pageRank(index, page int) int { return page*rankWindow + index }

// maxReaders bounds the machines whose logs are read at once: each holds a
// log cursor and a boot-log engine's state while it waits.
const maxReaders = 1024

// unreadNote is what a confirmed hang adds when some machines' logs could
// not be read: on how many the hang is shown, and which were not read.
func unreadNote(findings []bootlog.Finding, wedged int, unread []Unread) string {
	hung := map[string]bool{}
	for _, f := range findings {
		if f.Status == bootlog.Hung {
			hung[f.Machine] = true
		}
	}
	ids := make([]string, len(unread))
	for i, u := range unread {
		ids[i] = u.Machine
	}
	return fmt.Sprintf("; the hang is confirmed on %d of %d signature machines: the logs of %d could not be read (%s)",
		len(hung), wedged, len(unread), strings.Join(ids, ", "))
}

// EvidenceOf turns a boot-op finding into evidence.
func EvidenceOf(f bootlog.Finding) Evidence {
	ev := Evidence{
		Machine: f.Machine, Op: f.Op, DB: f.DB, Line: f.StartLine,
		RunningForS: seconds(f.RunningFor), Status: string(f.Status), Completion: f.CompletionLine,
	}
	switch {
	case !f.StartedAt.IsZero():
		ev.Timestamp = f.StartedAt.UTC().Format(time.RFC3339)
	case !f.CompletedAt.IsZero():
		ev.Timestamp = f.CompletedAt.UTC().Format(time.RFC3339)
	}
	if ev.Line == "" {
		// A skip line with no start: the op was guarded, which is evidence too.
		ev.Line, ev.Completion = f.CompletionLine, ""
	}
	return ev
}

// machineFindings pages one machine's logs forward from just before its
// last start until caught up.
func (e *engine) machineFindings(ctx context.Context, eng *bootlog.Engine, m MachineView, index int, now time.Time) ([]bootlog.Finding, error) {
	start := m.lastStart.Add(-time.Minute)
	it := flyapi.NewLogIterator(e.o.Fly, e.o.App, flyapi.LogQuery{Instance: m.ID}, start)
	for page := 0; page < e.o.LogPages; page++ {
		entries, err := it.Next(flyapi.WithRank(ctx, pageRank(index, page)))
		for _, le := range entries {
			machine := le.Instance
			if machine == "" {
				machine = m.ID
			}
			eng.Feed(bootlog.Entry{Time: le.Timestamp, Machine: machine, Region: le.Region, Provider: le.Provider, Level: le.Level, Message: le.Message})
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	var out []bootlog.Finding
	for _, f := range eng.Findings(now) {
		if f.Machine == m.ID {
			out = append(out, f)
		}
	}
	return out, nil
}
