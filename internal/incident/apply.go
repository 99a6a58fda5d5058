package incident

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/runbook"
)

// Who did a step, as the timeline credits it.
const (
	ByJpops       = "jpops"
	ByOperator    = "operator"
	ByYes         = "jpops (--yes)"
	ByForce       = "operator (--force)"
	ByNoTerminal  = "jpops (no terminal, no --yes)"
	ByHangup      = "jpops (the terminal hung up)"
	ByMachinesAPI = "machines API"
	ByLogsAPI     = "logs API"
	ByFlyctl      = "flyctl output"
	BySmoke       = "smoke walk"
)

// Marks tell apart the moments one event can give.
const (
	MarkSince     = "since"      // a signature machine's last start
	MarkImage     = "image"      // the deploy printed the image it built
	MarkError     = "error"      // the deploy printed an error line
	MarkHoldStart = "hold start" // a stability hold began
	MarkHoldMet   = "hold met"   // it was met
)

// Moment is one row of the timeline: when, who, and the event's payload.
type Moment struct {
	At    time.Time
	Who   string
	Phase string
	Mark  string // for events that give more than one kind of row
	Text  string // for MarkImage and MarkError: the image or the line
	Data  journal.Payload
}

// imageLine is the line flyctl deploy prints for the image it built.
var imageLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*image:\s*(\S+)`) })

// goodLine reports the line a rolling deploy prints when a machine on the
// new image passes its checks (docs/fly-platform.md, "Deploy output").
func goodLine(line string) bool {
	return strings.Contains(line, "Machine ") && strings.Contains(line, " is now in a good state")
}

// Apply folds one event into the view.
func (v *View) Apply(e journal.Event) {
	v.Events++
	v.LastSeq = max(v.LastSeq, e.Seq)
	if v.First.IsZero() {
		v.First = e.TS
	}
	if e.TS.After(v.Last) {
		v.Last = e.TS
	}
	if v.Incident == "" {
		v.Incident = e.Incident
	}
	if v.Mode == "" {
		v.Mode = e.Mode
	}
	v.metrics.apply(e)
	moment := func(who string, p journal.Payload) {
		v.Timeline = append(v.Timeline, Moment{At: e.TS, Who: who, Phase: e.Phase, Data: p})
	}
	switch d := e.Data.(type) {
	case journal.IncidentStart:
		v.Started, v.Start = e.TS, d
		moment(ByJpops, d)
	case journal.PhaseStart:
		if i := v.PhaseIndex(e.Phase); i >= 0 {
			p := &v.Phases[i]
			p.Status, p.Started, p.Reason = journal.StatusRunning, e.TS, ""
			p.Shown = nil // a resumed walk sees the machines afresh
			if d.Title != "" {
				p.Title = d.Title
			}
			v.Current = i
		}
		if e.Phase == runbook.PhaseSmoke {
			delete(v.seen, "hold started")
		}
		moment(ByJpops, d)
	case journal.PhaseEnd:
		if i := v.PhaseIndex(e.Phase); i >= 0 {
			p := &v.Phases[i]
			p.Ended, p.Reason = e.TS, d.Reason
			switch d.Status {
			case journal.StatusPassed, journal.StatusFailed, journal.StatusSkipped:
				p.Status = d.Status
			default:
				p.Status = journal.StatusFailed
				if p.Reason == "" {
					p.Reason = "unknown status " + strconv.Quote(d.Status)
				}
			}
			if v.Current < 0 {
				v.Current = i
			}
		}
		moment(ByJpops, d)
	case journal.Machine:
		if p := v.panel(e.Phase); p != nil {
			p.Machines = upsert(p.Machines, d, func(x journal.Machine) bool { return x.ID == d.ID })
		}
		if v.Deploy() == nil && d.ID != "" && d.Image != "" {
			v.Prior[d.ID] = d.Image
		}
		if d.Signature && v.once("signature "+d.ID) {
			v.Signature = append(v.Signature, At[journal.Machine]{e.TS, e.Phase, d})
			if d.SinceS > 0 {
				v.Timeline = append(v.Timeline, Moment{At: e.TS.Add(-secs(d.SinceS)), Who: ByMachinesAPI, Phase: e.Phase, Mark: MarkSince, Data: d})
			}
			moment(ByMachinesAPI, d)
		}
	case journal.Evidence:
		if p := v.panel(e.Phase); p != nil {
			p.Evidence = append(p.Evidence, d)
		}
		// A resumed walk reads the same boot logs again: each line counts once.
		if !v.once("evidence " + d.Machine + "\x00" + d.Timestamp + "\x00" + d.Line) {
			break
		}
		if !d.Completed() {
			v.Evidence = append(v.Evidence, At[journal.Evidence]{e.TS, e.Phase, d})
		}
		at := e.TS
		if t, ok := timeOf(d.Timestamp); ok {
			at = t
		}
		v.Timeline = append(v.Timeline, Moment{At: at, Who: ByLogsAPI, Phase: e.Phase, Data: d})
	case journal.Verdict:
		if p := v.panel(e.Phase); p != nil {
			p.Verdicts = append(p.Verdicts, d)
		}
		v.Verdict = d.Verdict
		if v.Diagnosis == nil || e.Phase == runbook.PhaseBootlogs {
			v.Diagnosis = &At[journal.Verdict]{e.TS, e.Phase, d}
		}
		moment(ByJpops, d)
	case journal.Precondition:
		if p := v.panel(e.Phase); p != nil {
			p.Checks = upsert(p.Checks, d, func(x journal.Precondition) bool { return x.Name == d.Name })
		}
		v.Preconds = append(v.Preconds, At[journal.Precondition]{e.TS, e.Phase, d})
		for id, img := range d.Images {
			v.Recorded[id] = img
		}
		if !d.OK || Forced(d) {
			moment(ByJpops, d)
		}
	case journal.Gate:
		v.Gates = append(v.Gates, At[journal.Gate]{e.TS, e.Phase, d})
		moment(GateBy(d), d)
	case journal.CommandStart:
		v.Commands = append(v.Commands, Command{Phase: e.Phase, Started: e.TS, CommandStart: d})
		v.Output, v.OutputN = v.Output[:0:0], 0
		moment(ByJpops, d)
	case journal.CommandOutput:
		for _, l := range strings.Split(strings.TrimRight(d.Line, "\r\n"), "\n") {
			v.Output = append(v.Output, l)
			v.OutputN++
		}
		if n := len(v.Output) - MaxOutput; n > 0 {
			v.Output = append(v.Output[:0], v.Output[n:]...)
		}
		if m := imageLine().FindStringSubmatch(d.Line); m != nil && v.once("image "+m[1]) {
			v.Timeline = append(v.Timeline, Moment{At: e.TS, Who: ByFlyctl, Phase: e.Phase, Mark: MarkImage, Text: m[1], Data: d})
		} else if line := strings.TrimSpace(d.Line); strings.HasPrefix(line, "Error") {
			v.Timeline = append(v.Timeline, Moment{At: e.TS, Who: ByFlyctl, Phase: e.Phase, Mark: MarkError, Text: line, Data: d})
		}
	case journal.CommandExit:
		if n := len(v.Commands); n > 0 && !v.Commands[n-1].Exited {
			c := &v.Commands[n-1]
			c.Exited, c.ExitAt, c.Exit = true, e.TS, d
		}
		if e.Phase == runbook.PhaseEscape {
			if d.Image != "" {
				v.Image = d.Image
			}
			if d.Digest != "" {
				v.Digest = d.Digest
			}
		}
		moment(ByFlyctl, d)
	case journal.SmokeResult:
		if p := v.panel(e.Phase); p != nil {
			row := d
			if row.Check == "" {
				row.Check = "request"
			}
			p.Smoke = upsert(p.Smoke, row, func(x journal.SmokeResult) bool {
				return x.Machine == row.Machine && x.Check == row.Check && x.Request == row.Request
			})
		}
		if !d.OK {
			if v.once("smoke fail " + d.Machine + "\x00" + d.Check + "\x00" + d.Detail) {
				v.SmokeFail = append(v.SmokeFail, At[journal.SmokeResult]{e.TS, e.Phase, d})
				moment(BySmoke, d)
			}
		} else if d.Check == "request" && v.once("smoke pass "+d.Machine) {
			moment(BySmoke, d)
		}
	case journal.SmokeMachine:
		if p := v.panel(e.Phase); p != nil {
			row := SmokeMachine{SmokeMachine: d, Changed: e.TS}
			for _, prev := range p.Shown {
				if prev.ID == d.ID && prev.Good {
					row.GoodSince = prev.GoodSince
				}
			}
			if !d.Good {
				row.GoodSince = time.Time{}
			} else if row.GoodSince.IsZero() {
				row.GoodSince = e.TS
			}
			p.Shown = upsert(p.Shown, row, func(x SmokeMachine) bool { return x.ID == d.ID })
		}
	case journal.Hold:
		h := &v.Hold
		h.Seen, h.ElapsedS, h.RemainingS, h.HoldS = true, d.ElapsedS, d.RemainingS, d.HoldS
		if v.once("hold started") {
			h.Starts++
			v.Timeline = append(v.Timeline, Moment{At: e.TS, Who: BySmoke, Phase: e.Phase, Mark: MarkHoldStart, Data: d})
		}
		if d.Met() && !h.Met {
			h.Met, h.HeldS = true, d.HoldS
			v.Timeline = append(v.Timeline, Moment{At: e.TS, Who: BySmoke, Phase: e.Phase, Mark: MarkHoldMet, Data: d})
		}
	case journal.Note:
		if p := v.panel(e.Phase); p != nil {
			p.Notes = append(p.Notes, d.Text)
		}
		if d.Text == "resumed" && e.Phase == journal.PhaseIncident {
			v.Resumes++
		}
		if d.Hangup {
			moment(ByHangup, d)
			break
		}
		moment(ByJpops, d)
	case journal.Abort:
		v.Abort = d.Reason
		if v.Abort == "" {
			v.Abort = "aborted"
		}
		moment(v.abortBy(e), d)
	case journal.Page:
		v.Pages = append(v.Pages, At[journal.Page]{e.TS, e.Phase, d})
		moment(d.By, d)
	case journal.IncidentEnd:
		v.Ended, v.End = e.TS, d
		v.Final, v.ExitCode = d.Verdict, d.ExitCode
		if v.Image == "" && v.Digest == "" { // a resumed walk verified a deploy it did not run
			v.Image, v.Digest = d.Image, d.Digest
		}
		moment(ByJpops, d)
	}
}

// abortBy credits an abort: the operator's when it follows their refusal
// at the gate, else jpops's own (interrupted, hung up, stopped).
func (v *View) abortBy(e journal.Event) string {
	if n := len(v.Gates); n > 0 && e.Phase == runbook.PhaseEscape {
		if g := v.Gates[n-1].Data; !g.OK && g.ConfirmedBy == journal.ByOperator {
			return ByOperator
		}
	}
	return ByJpops
}

// GateBy says who passed or refused a gate.
func GateBy(g journal.Gate) string {
	switch g.ConfirmedBy {
	case journal.ByYes:
		return ByYes
	case journal.ByForce:
		return ByForce
	case journal.ByOperator:
		return ByOperator
	}
	return ByNoTerminal
}

// Forced reports whether a precondition was overridden with --force.
func Forced(d journal.Precondition) bool { return d.Forced || d.ConfirmedBy == journal.ByForce }

// timeOf parses a timestamp field (RFC 3339, as Fly and the journal write them).
func timeOf(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
