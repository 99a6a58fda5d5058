package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/incident"
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
const maxOutputLines = incident.MaxOutput

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
	shown    []smokeMachine // the smoke walk's machines, live
	notes    []string
}

// smokeMachine is one machine's row in the smoke walk's table.
type smokeMachine struct {
	id, region, state, image, requests, stage string
	passing, total                            int
	imageOK, good                             bool
	goodSince                                 time.Time
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

type verdictRow struct {
	verdict, reason string
	next            advice.Advice
}

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
	at                       time.Time // the engine's clock at this mark: the bar runs on from it
}

// run is the incident view as the screen shows it: its text cleaned for a
// terminal, in the shapes the panels draw. The view decides what the events
// mean; run only copies it.
type run struct {
	view                *incident.View
	outputN             int // the view's OutputN when output was last copied
	app, incident, mode string
	phases              []phase
	current             int // index into phases of the phase shown; -1 before any starts
	cmd                 command
	output              []string
	hold                hold
	lastTS              time.Time // the newest event's time: "now" for the screen
	lastOutput          time.Time // when flyctl last printed a line
	endVerdict          string
	endCode             int
	ended               bool
	abort               string
}

func newRun(rb *runbook.Runbook, app string) run {
	r := run{view: incident.New(), app: app, current: -1}
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

// apply folds one engine event into the view and copies what it changed.
// Text from outside (log lines, flyctl output, details) is redacted again
// here: the engine should already have done it, and a token on screen is
// not worth the risk.
func (r *run) apply(ev journal.Event) {
	if r.view == nil {
		r.view = incident.New()
	}
	v := r.view
	v.Apply(ev)
	r.lastTS, r.incident, r.mode = v.Last, v.Incident, v.Mode
	if r.app == "" {
		r.app = v.App()
	}
	r.current = v.Current
	switch d := ev.Data.(type) {
	case journal.CommandOutput:
		r.lastOutput = ev.TS
		r.copyOutput()
		return // the phases did not change: spare copying them per line
	case journal.Gate:
		if c := clean(d.Command); c != "" && r.cmd.argv == "" {
			r.cmd.argv = c
		}
	case journal.CommandStart:
		c := v.Commands[len(v.Commands)-1]
		r.cmd = command{argv: clean(argv(c.Argv)), dir: clean(c.Dir), started: true}
		r.lastOutput = ev.TS
		r.output, r.outputN = nil, 0
	case journal.CommandExit:
		if n := len(v.Commands); n > 0 {
			x := v.Commands[n-1].Exit
			r.cmd.exited, r.cmd.code = true, x.Code
			r.cmd.image, r.cmd.digest, r.cmd.errMsg = clean(x.Image), clean(x.Digest), cleanLines(x.Error)
		}
	case journal.Hold:
		r.hold = hold{seen: v.Hold.Seen, elapsed: v.Hold.ElapsedS, remaining: v.Hold.RemainingS, full: v.Hold.HoldS, at: ev.TS}
	case journal.Abort:
		r.abort = clean(v.Abort)
	case journal.IncidentEnd:
		r.ended, r.endVerdict, r.endCode = true, string(v.Final), v.ExitCode
	}
	r.copyPhases()
}

// copyOutput appends the output lines the view gained since the last copy.
func (r *run) copyOutput() {
	v := r.view
	n := min(v.OutputN-r.outputN, len(v.Output))
	for _, l := range v.Output[len(v.Output)-n:] {
		r.output = append(r.output, clean(l))
	}
	r.outputN = v.OutputN
	if n := len(r.output) - maxOutputLines; n > 0 {
		r.output = append(r.output[:0], r.output[n:]...)
	}
}

func (r *run) copyPhases() {
	for i, p := range r.view.Phases {
		if i >= len(r.phases) {
			break
		}
		dst := &r.phases[i]
		if !p.Started.IsZero() {
			dst.title = p.Title // as phase_start named it
		}
		dst.state, dst.reason, dst.started, dst.ended = p.Status, clean(p.Reason), p.Started, p.Ended
		pd := phaseData{notes: make([]string, 0, len(p.Notes))}
		for _, m := range p.Machines {
			pd.machines = append(pd.machines, machine{
				id: m.ID, region: m.Region, state: m.State, image: m.Image,
				passing: m.ChecksPassing, total: m.ChecksTotal, signature: m.Signature, since: m.SinceS,
			})
		}
		for _, e := range p.Evidence {
			pd.evidence = append(pd.evidence, evidence{
				machine: e.Machine, op: e.Op, db: e.DB, line: clean(e.Line), runningFor: e.RunningForS, completed: e.Completed(),
			})
		}
		for _, x := range p.Verdicts {
			pd.verdicts = append(pd.verdicts, verdictRow{verdict: string(x.Verdict), reason: clean(x.Reason), next: x.Advice().Map(clean)})
		}
		for _, c := range p.Checks {
			pd.checks = append(pd.checks, check{name: c.Name, ok: c.OK, detail: clean(c.Detail)})
		}
		for _, s := range p.Smoke {
			pd.smoke = append(pd.smoke, smokeRow{machine: s.Machine, check: s.Check, request: clean(s.Request), ok: s.OK, detail: clean(s.Detail)})
		}
		for _, sm := range p.Shown {
			pd.shown = append(pd.shown, smokeMachine{
				id: clean(sm.ID), region: clean(sm.Region), state: clean(sm.State), image: clean(sm.Image),
				requests: clean(sm.Requests), stage: sm.Stage, passing: sm.ChecksPassing, total: sm.ChecksTotal,
				imageOK: sm.ImageOK, good: sm.Good, goodSince: sm.GoodSince,
			})
		}
		for _, n := range p.Notes {
			pd.notes = append(pd.notes, clean(n))
		}
		dst.data = pd
	}
}

// deploying reports whether the escape command is between start and exit.
func (r *run) deploying() bool { return r.cmd.started && !r.cmd.exited }

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

// cleanLines is clean for text whose line breaks carry meaning (flyctl's
// error and the output it quotes): each line cleaned, the breaks kept.
func cleanLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(clean(l), " ")
	}
	return strings.Join(lines, "\n")
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
