package tui

import (
	"encoding/json"
	"fmt"
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
	d := ev.Data
	if ev.TS.After(r.lastTS) {
		r.lastTS = ev.TS
	}
	if ev.Incident != "" {
		r.incident = ev.Incident
	}
	if ev.Mode != "" {
		r.mode = ev.Mode
	}
	switch ev.Kind {
	case journal.KindIncidentStart:
		if app := str(d, "app"); app != "" && r.app == "" {
			r.app = app
		}
	case journal.KindPhaseStart:
		if i := r.phaseIndex(ev.Phase); i >= 0 {
			p := &r.phases[i]
			p.state, p.started, p.reason = stateRunning, ev.TS, ""
			if t := str(d, "title"); t != "" {
				p.title = t
			}
			r.current = i
		}
	case journal.KindPhaseEnd:
		if i := r.phaseIndex(ev.Phase); i >= 0 {
			p := &r.phases[i]
			p.ended = ev.TS
			p.reason = clean(str(d, "reason"))
			switch s := str(d, "status"); s {
			case statePassed, stateFailed, stateSkipped:
				p.state = s
			default:
				p.state = stateFailed
				if p.reason == "" {
					p.reason = "unknown status " + strconv.Quote(s)
				}
			}
			if r.current < 0 {
				r.current = i
			}
		}
	case journal.KindMachine:
		if pd := r.data(ev.Phase); pd != nil {
			m := machine{
				id: str(d, "id"), region: str(d, "region"), state: str(d, "state"), image: str(d, "image"),
				passing: int(num(d, "checks_passing")), total: int(num(d, "checks_total")),
				signature: boolean(d, "signature"), since: num(d, "since_s"),
			}
			pd.machines = upsert(pd.machines, m, func(x machine) bool { return x.id == m.id })
		}
	case journal.KindEvidence:
		if pd := r.data(ev.Phase); pd != nil {
			pd.evidence = append(pd.evidence, evidence{
				machine: str(d, "machine"), op: str(d, "op"), db: str(d, "db"), line: clean(str(d, "line")),
				runningFor: num(d, "running_for_s"), completed: boolean(d, "completed"),
			})
		}
	case journal.KindVerdict:
		if pd := r.data(ev.Phase); pd != nil {
			pd.verdicts = append(pd.verdicts, verdictRow{verdict: str(d, "verdict"), reason: clean(str(d, "reason")), next: clean(str(d, "next"))})
		}
	case journal.KindPrecondition:
		if pd := r.data(ev.Phase); pd != nil {
			c := check{name: str(d, "name"), ok: boolean(d, "ok"), detail: clean(str(d, "detail"))}
			pd.checks = upsert(pd.checks, c, func(x check) bool { return x.name == c.name })
		}
	case journal.KindGate:
		if c := clean(str(d, "command")); c != "" && r.cmd.argv == "" {
			r.cmd.argv = c
		}
	case journal.KindCommandStart:
		r.cmd = command{argv: clean(argv(d["argv"])), dir: clean(str(d, "dir")), started: true}
		r.output = nil
	case journal.KindCommandOutput:
		for _, l := range strings.Split(strings.TrimRight(str(d, "line"), "\r\n"), "\n") {
			r.output = append(r.output, clean(l))
		}
		if n := len(r.output) - maxOutputLines; n > 0 {
			r.output = append(r.output[:0], r.output[n:]...)
		}
	case journal.KindCommandExit:
		r.cmd.exited = true
		r.cmd.code = int(num(d, "code"))
		r.cmd.image, r.cmd.digest, r.cmd.errMsg = clean(str(d, "image")), clean(str(d, "digest")), clean(str(d, "error"))
	case journal.KindSmokeResult:
		if pd := r.data(ev.Phase); pd != nil {
			s := smokeRow{machine: str(d, "machine"), check: str(d, "check"), request: clean(str(d, "request")), ok: boolean(d, "ok"), detail: clean(str(d, "detail"))}
			if s.check == "" {
				s.check = "request"
			}
			pd.smoke = upsert(pd.smoke, s, func(x smokeRow) bool {
				return x.machine == s.machine && x.check == s.check && x.request == s.request
			})
		}
	case journal.KindHold:
		r.hold = hold{seen: true, elapsed: num(d, "elapsed_s"), remaining: num(d, "remaining_s"), full: num(d, "hold_s")}
	case journal.KindNote:
		if pd := r.data(ev.Phase); pd != nil {
			pd.notes = append(pd.notes, clean(str(d, "text")))
		}
	case journal.KindAbort:
		r.abort = clean(str(d, "reason"))
		if r.abort == "" {
			r.abort = "aborted"
		}
	case journal.KindIncidentEnd:
		r.ended = true
		r.endVerdict = str(d, "verdict")
		r.endCode = int(num(d, "exit_code"))
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

// The event data is JSON-ish: values may be Go ints or JSON float64s.

func str(d map[string]any, k string) string {
	switch v := d[k].(type) {
	case nil:
		return ""
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

func num(d map[string]any, k string) float64 {
	switch v := d[k].(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case uint:
		return float64(v)
	case uint64:
		return float64(v)
	case uint32:
		return float64(v)
	case json.Number:
		f, _ := v.Float64()
		return f
	case time.Duration:
		return v.Seconds()
	case string:
		f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f
	}
	return 0
}

func boolean(d map[string]any, k string) bool {
	switch v := d[k].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return num(d, k) != 0
}

// argv renders a command line from []any, []string or a plain string,
// quoting the arguments a shell would split.
func argv(v any) string {
	var parts []string
	switch a := v.(type) {
	case string:
		return a
	case []string:
		parts = a
	case []any:
		for _, x := range a {
			parts = append(parts, fmt.Sprint(x))
		}
	default:
		return ""
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t\"'$\\|&;<>()*?") {
			p = strconv.Quote(p)
		}
		out[i] = p
	}
	return strings.Join(out, " ")
}
