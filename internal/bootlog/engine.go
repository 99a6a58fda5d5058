package bootlog

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog/fastscan"

	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// Status is where one boot-op attempt stands.
type Status string

const (
	Running     Status = "running"     // unfinished, not yet past hang_after
	Hung        Status = "hung"        // unfinished and running for more than hang_after
	Completed   Status = "completed"   // a completion line followed the start
	Interrupted Status = "interrupted" // the machine booted again before it finished
)

// Finding is one boot-op attempt on one machine, as of a given moment.
type Finding struct {
	Machine        string
	Region         string
	Op             string
	DB             string
	StartedAt      time.Time // zero when the log had no timestamps or no start line
	CompletedAt    time.Time
	StartLine      string
	CompletionLine string
	RunningFor     time.Duration // now - start while unfinished; start to end once ended
	Status         Status
}

// historyPerMachine bounds the closed attempts kept per machine.
const historyPerMachine = 16

// Engine matches the runbook's boot-op signatures in a stream of entries.
// It keeps only per-machine, per-op state, never the lines themselves, so
// memory does not grow with the length of the log. It is not safe for
// concurrent use.
type Engine struct {
	ops       []opMatcher
	markers   []string
	hangAfter time.Duration // overrides every op's hang_after when > 0
	machines  map[string]*machineState
	seq       uint64
	last      time.Time        // latest entry time seen
	pf        *fastscan.Filter // nil when a pattern has no keyword: every line is tried
}

type opMatcher struct {
	op    runbook.BootOp
	start matcher
	comps []matcher
}

// matcher is a pattern with the literal that every match contains.
type matcher struct {
	re     *regexp.Regexp
	lit    fastscan.Literal
	hasLit bool
}

func newMatcher(p runbook.Pattern) matcher {
	m := matcher{re: p.Regexp}
	if p.Regexp != nil {
		m.lit, m.hasLit = fastscan.RequiredLiteral(p.String())
	}
	return m
}

func (m matcher) may(s string) bool { return m.re != nil && (!m.hasLit || m.lit.In(s)) }

type attempt struct {
	seq                uint64
	op                 int
	region, db         string
	started, ended     time.Time
	startLine, endLine string
	status             Status // Running, Completed or Interrupted
}

type machineState struct {
	latest  []*attempt // per op: the attempt that decides
	history []attempt  // replaced attempts, oldest first
}

// New builds an engine for rb's boot ops and boot markers.
func New(rb *runbook.Runbook) *Engine {
	e := &Engine{machines: make(map[string]*machineState)}
	var patterns []*regexp.Regexp
	for _, op := range rb.BootOps {
		om := opMatcher{op: op, start: newMatcher(op.Start)}
		for _, c := range op.Completions {
			om.comps = append(om.comps, newMatcher(c))
		}
		e.ops = append(e.ops, om)
		for _, m := range append([]matcher{om.start}, om.comps...) {
			if m.re != nil {
				patterns = append(patterns, m.re)
			}
		}
	}
	for _, m := range rb.BootMarkers {
		if m != "" { // an empty marker would make every line a boot
			e.markers = append(e.markers, m)
		}
	}
	// A pattern's keyword may end its line, but error.message="…" moves a
	// line's message before it; flyctl colours the key, so a colour code
	// may stand between it and the quote.
	e.pf = fastscan.NewFilter(patterns, e.markers, []string{string(errMessagePrefix[:len(errMessagePrefix)-1])})
	return e
}

// SetHangAfter overrides every op's hang_after (the watchdog's --hang-after);
// zero restores the runbook's values.
func (e *Engine) SetHangAfter(d time.Duration) { e.hangAfter = d }

// Fresh returns an engine with e's patterns, markers and filter, which are
// read-only and safe to share, and none of its state: one engine per
// machine, read side by side, without compiling the runbook's patterns again.
func (e *Engine) Fresh() *Engine {
	return &Engine{ops: e.ops, markers: e.markers, hangAfter: e.hangAfter, pf: e.pf, machines: make(map[string]*machineState)}
}

func (e *Engine) machine(id string) *machineState {
	ms := e.machines[id]
	if ms == nil {
		ms = &machineState{latest: make([]*attempt, len(e.ops))}
		e.machines[id] = ms
	}
	return ms
}

// Forget drops what the engine knows of a machine, once it is destroyed.
func (e *Engine) Forget(machine string) { delete(e.machines, machine) }

// Machines returns how many machines the engine holds state for.
func (e *Engine) Machines() int { return len(e.machines) }

// Feed matches one entry. Entries of one machine must come in log order.
// Entries without a machine go under machine "".
func (e *Engine) Feed(en Entry) {
	if en.Time.After(e.last) {
		e.last = en.Time
	}
	msg := en.Message
	if e.pf != nil && !e.pf.Any(msg) {
		return // most lines: no pattern can match
	}
	for _, m := range e.markers {
		if strings.Contains(msg, m) {
			if ms := e.machines[en.Machine]; ms != nil {
				for _, a := range ms.latest {
					if a != nil && a.status == Running {
						a.status, a.ended, a.endLine = Interrupted, en.Time, msg
					}
				}
			}
			break
		}
	}
	for i := range e.ops {
		om := &e.ops[i]
		if !om.start.may(msg) {
			continue
		}
		db, ok := om.op.DB(msg)
		if !ok {
			continue
		}
		ms := e.machine(en.Machine)
		if a := ms.latest[i]; a != nil && a.status == Running {
			a.status, a.ended, a.endLine = Interrupted, en.Time, msg
		}
		e.replace(ms, i, &attempt{op: i, region: en.Region, db: db, started: en.Time, startLine: msg, status: Running})
		return
	}
	// A completion finishes the most recent unfinished op it completes.
	ms := e.machines[en.Machine]
	var best *attempt
	only, matches := -1, 0
	for i := range e.ops {
		if !e.ops[i].completes(msg) {
			continue
		}
		only, matches = i, matches+1
		if ms == nil {
			continue
		}
		if a := ms.latest[i]; a != nil && a.status == Running && (best == nil || a.seq > best.seq) {
			best = a
		}
	}
	switch {
	case best != nil:
		best.status, best.ended, best.endLine = Completed, en.Time, msg
	case matches == 1:
		// A completion with no start, like the fixed boot's size-based
		// skip: evidence that the op did not run. Ambiguous ones (a bare
		// "ok") carry nothing and are dropped.
		ms = e.machine(en.Machine)
		e.replace(ms, only, &attempt{op: only, region: en.Region, db: guessDB(msg), ended: en.Time, endLine: msg, status: Completed})
	}
}

func (om *opMatcher) completes(msg string) bool {
	for _, c := range om.comps {
		if c.may(msg) && c.re.MatchString(msg) {
			return true
		}
	}
	return false
}

func (e *Engine) replace(ms *machineState, op int, a *attempt) {
	e.seq++
	a.seq = e.seq
	if old := ms.latest[op]; old != nil {
		if len(ms.history) == historyPerMachine {
			ms.history = slices.Delete(ms.history, 0, 1)
		}
		ms.history = append(ms.history, *old)
	}
	ms.latest[op] = a
}

// guessDB returns the first absolute path in msg, for completion lines
// like "size-based integrity_check skip for /data/autonomath.db (size=…)".
func guessDB(msg string) string {
	i := strings.Index(msg, "/")
	for i > 0 && msg[i-1] != ' ' && msg[i-1] != '=' {
		j := strings.Index(msg[i+1:], " /")
		if j < 0 {
			return ""
		}
		i += j + 2
	}
	if i < 0 {
		return ""
	}
	p := msg[i:]
	if j := strings.IndexAny(p, " \t"); j >= 0 {
		p = p[:j]
	}
	return strings.TrimRight(p, ".,;:)")
}

// Findings returns the deciding (latest) attempt of every machine and op,
// as of now: lines stamped after now are read as not yet happened. A zero
// now means the latest time seen in the log. Sorted by machine, then op in
// runbook order.
func (e *Engine) Findings(now time.Time) []Finding {
	now = e.asOf(now)
	var out []Finding
	for _, id := range e.machineIDs() {
		for _, a := range e.machines[id].latest {
			if a != nil {
				out = append(out, e.finding(id, a, now))
			}
		}
	}
	return out
}

// Attempts returns every attempt kept (the last few replaced ones per
// machine and the deciding ones), as of now, in the order they happened per machine.
func (e *Engine) Attempts(now time.Time) []Finding {
	now = e.asOf(now)
	var out []Finding
	for _, id := range e.machineIDs() {
		ms := e.machines[id]
		all := make([]*attempt, 0, len(ms.history)+len(ms.latest))
		for i := range ms.history {
			all = append(all, &ms.history[i])
		}
		for _, a := range ms.latest {
			if a != nil {
				all = append(all, a)
			}
		}
		slices.SortFunc(all, func(a, b *attempt) int { return cmp.Compare(a.seq, b.seq) })
		for _, a := range all {
			out = append(out, e.finding(id, a, now))
		}
	}
	return out
}

func (e *Engine) asOf(now time.Time) time.Time {
	if now.IsZero() {
		return e.last
	}
	return now
}

func (e *Engine) machineIDs() []string {
	ids := make([]string, 0, len(e.machines))
	for id := range e.machines {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (e *Engine) finding(machine string, a *attempt, now time.Time) Finding {
	op := e.ops[a.op].op
	f := Finding{Machine: machine, Region: a.region, Op: op.Name, DB: a.db, StartedAt: a.started, StartLine: a.startLine, Status: a.status}
	if a.status != Running && !a.ended.IsZero() && !now.IsZero() && a.ended.After(now) {
		f.Status = Running // as of now it had not ended yet
	}
	if f.Status == Running {
		if !a.started.IsZero() && !now.IsZero() {
			f.RunningFor = max(now.Sub(a.started), 0)
			hang := op.HangAfter.Duration
			if e.hangAfter > 0 {
				hang = e.hangAfter
			}
			if f.RunningFor > hang {
				f.Status = Hung
			}
		}
		return f
	}
	if f.Status == Completed {
		f.CompletedAt, f.CompletionLine = a.ended, a.endLine
	}
	if !a.started.IsZero() && !a.ended.IsZero() {
		f.RunningFor = max(a.ended.Sub(a.started), 0)
	}
	return f
}

// Verdict is the boot-op part of phase 2: any hung op confirms the hang;
// otherwise an op still inside its hang_after leaves it open.
func Verdict(findings []Finding) verdict.Verdict {
	v := verdict.Healthy
	for _, f := range findings {
		switch f.Status {
		case Hung:
			return verdict.HangConfirmed
		case Running:
			v = verdict.Inconclusive
		}
	}
	return v
}

// stateSize counts the attempts held, for the constant-memory test.
func (e *Engine) stateSize() int {
	n := 0
	for _, ms := range e.machines {
		n += len(ms.history) + len(ms.latest)
	}
	return n
}
