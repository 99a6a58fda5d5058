package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/runbook"
)

// Phase states, as the phase list shows them.
const (
	statePending = "pending"
	stateRunning = "running"
	statePassed  = "passed"
	stateFailed  = "failed"
	stateSkipped = "skipped"
)

// maxOutputLines bounds the deploy output kept for scrolling; the journal
// keeps all of it.
const maxOutputLines = 5000

type phase struct {
	id, title      string
	state          string
	reason         string
	started, ended time.Time
	data           phaseData
}

// phaseData is what one phase's panel shows, filled from events.
type phaseData struct {
	machines []machine
	evidence []evidence
	verdicts []verdictRow
	checks   []check // preconditions
	smoke    []smokeRow
	notes    []string
}

type machine struct {
	id, region, state, image string
	passing, total           int
	signature                bool
	since                    float64
}

type evidence struct {
	machine, op, db, line string
	runningFor            float64
	completed             bool
}

type verdictRow struct{ verdict, reason, next string }

type check struct {
	name, detail string
	ok           bool
}

type smokeRow struct {
	machine, check, request, detail string
	ok                              bool
}

type command struct {
	argv, dir             string
	started, exited       bool
	code                  int
	image, digest, errMsg string
}

type hold struct {
	seen                     bool
	elapsed, remaining, full float64
}

// run is everything the engine has told the UI so far.
type run struct {
	app, incident, mode string
	phases              []phase
	current             int // index into phases of the phase shown; -1 before any starts
	cmd                 command
	output              []string
	hold                hold
	lastTS              time.Time // the newest event's time: "now" for the screen
	endVerdict          string
	endCode             int
	ended               bool
	abort               string
}

func newRun(rb *runbook.Runbook, app string) run {
	r := run{app: app, current: -1}
	for _, id := range runbook.PhaseIDs {
		r.phases = append(r.phases, phase{id: id, title: rb.Phase(id).Title, state: statePending})
	}
	return r
}

func (r *run) phaseIndex(id string) int {
	for i, p := range r.phases {
		if p.id == id {
			return i
		}
	}
	return -1
}

// data returns the panel data of the event's phase, or of the current phase
// for events that name none of the four.
func (r *run) data(id string) *phaseData {
	i := r.phaseIndex(id)
	if i < 0 {
		i = r.current
	}
	if i < 0 {
		return nil
	}
	return &r.phases[i].data
}

// apply folds one engine event into the run. Text from outside (log lines,
// flyctl output, details) is redacted again here: the engine should already
// have done it, and a token on screen is not worth the risk.
func (r *run) apply(ev journal.Event) {
	if ev.TS.After(r.lastTS) {
		r.lastTS = ev.TS
	}
	if ev.Incident != "" {
		r.incident = ev.Incident
	}
	if ev.Mode != "" {
		r.mode = ev.Mode
	}
	switch d := ev.Data.(type) {
	case journal.IncidentStart:
		if d.App != "" && r.app == "" {
			r.app = d.App
		}
	case journal.PhaseStart:
		if i := r.phaseIndex(ev.Phase); i >= 0 {
			p := &r.phases[i]
			p.state, p.started, p.reason = stateRunning, ev.TS, ""
			if d.Title != "" {
				p.title = d.Title
			}
			r.current = i
		}
	case journal.PhaseEnd:
		if i := r.phaseIndex(ev.Phase); i >= 0 {
			p := &r.phases[i]
			p.ended = ev.TS
			p.reason = clean(d.Reason)
			switch d.Status {
			case statePassed, stateFailed, stateSkipped:
				p.state = d.Status
			default:
				p.state = stateFailed
				if p.reason == "" {
					p.reason = "unknown status " + strconv.Quote(d.Status)
				}
			}
			if r.current < 0 {
				r.current = i
			}
		}
	case journal.Machine:
		if pd := r.data(ev.Phase); pd != nil {
			m := machine{
				id: d.ID, region: d.Region, state: d.State, image: d.Image,
				passing: d.ChecksPassing, total: d.ChecksTotal,
				signature: d.Signature, since: d.SinceS,
			}
			pd.machines = upsert(pd.machines, m, func(x machine) bool { return x.id == m.id })
		}
	case journal.Evidence:
		if pd := r.data(ev.Phase); pd != nil {
			pd.evidence = append(pd.evidence, evidence{
				machine: d.Machine, op: d.Op, db: d.DB, line: clean(d.Line),
				runningFor: d.RunningForS, completed: d.Completed(),
			})
		}
	case journal.Verdict:
		if pd := r.data(ev.Phase); pd != nil {
			pd.verdicts = append(pd.verdicts, verdictRow{verdict: string(d.Verdict), reason: clean(d.Reason), next: clean(d.Next)})
		}
	case journal.Precondition:
		if pd := r.data(ev.Phase); pd != nil {
			c := check{name: d.Name, ok: d.OK, detail: clean(d.Detail)}
			pd.checks = upsert(pd.checks, c, func(x check) bool { return x.name == c.name })
		}
	case journal.Gate:
		if c := clean(d.Command); c != "" && r.cmd.argv == "" {
			r.cmd.argv = c
		}
	case journal.CommandStart:
		r.cmd = command{argv: clean(argv(d.Argv)), dir: clean(d.Dir), started: true}
		r.output = nil
	case journal.CommandOutput:
		for _, l := range strings.Split(strings.TrimRight(d.Line, "\r\n"), "\n") {
			r.output = append(r.output, clean(l))
		}
		if n := len(r.output) - maxOutputLines; n > 0 {
			r.output = append(r.output[:0], r.output[n:]...)
		}
	case journal.CommandExit:
		r.cmd.exited = true
		r.cmd.code = d.Code
		r.cmd.image, r.cmd.digest, r.cmd.errMsg = clean(d.Image), clean(d.Digest), clean(d.Error)
	case journal.SmokeResult:
		if pd := r.data(ev.Phase); pd != nil {
			s := smokeRow{machine: d.Machine, check: d.Check, request: clean(d.Request), ok: d.OK, detail: clean(d.Detail)}
			if s.check == "" {
				s.check = "request"
			}
			pd.smoke = upsert(pd.smoke, s, func(x smokeRow) bool {
				return x.machine == s.machine && x.check == s.check && x.request == s.request
			})
		}
	case journal.Hold:
		r.hold = hold{seen: true, elapsed: d.ElapsedS, remaining: d.RemainingS, full: d.HoldS}
	case journal.Note:
		if pd := r.data(ev.Phase); pd != nil {
			pd.notes = append(pd.notes, clean(d.Text))
		}
	case journal.Abort:
		r.abort = clean(d.Reason)
		if r.abort == "" {
			r.abort = "aborted"
		}
	case journal.IncidentEnd:
		r.ended = true
		r.endVerdict = string(d.Verdict)
		r.endCode = d.ExitCode
	}
}

// deploying reports whether the escape command is between start and exit.
func (r *run) deploying() bool { return r.cmd.started && !r.cmd.exited }

func upsert[T any](list []T, v T, same func(T) bool) []T {
	for i := range list {
		if same(list[i]) {
			list[i] = v
			return list
		}
	}
	return append(list, v)
}

// clean redacts s and drops control characters, so outside text can neither
// leak a token nor move the cursor.
func clean(s string) string {
	s = redact.String(s)
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case isControl(r):
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// argv renders a command line, quoting the arguments a shell would split.
func argv(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t\"'$\\|&;<>()*?") {
			p = strconv.Quote(p)
		}
		out[i] = p
	}
	return strings.Join(out, " ")
}
