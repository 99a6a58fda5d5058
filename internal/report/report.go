// Package report is the non-interactive face of jpops: one stable plain
// line per engine event, the diagnosis as a table, and JSON. It never emits
// escape codes unless told the output is a colour terminal.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// EventLine renders one engine event as one stable plain line:
// time, phase, kind, then what happened.
func EventLine(ev journal.Event) string {
	var what string
	switch d := ev.Data.(type) {
	case journal.IncidentStart:
		what = fmt.Sprintf("incident %s for %s (%s)", ev.Incident, d.App, ev.Mode)
	case journal.PhaseStart:
		what = d.Title
	case journal.PhaseEnd:
		what = strings.TrimSpace(d.Status + ": " + d.Reason)
	case journal.Machine:
		sig := ""
		if d.Signature {
			sig = " SIGNATURE"
		}
		what = fmt.Sprintf("machine %s %s %s checks %d/%d %s%s", d.ID, d.Region, d.State, d.ChecksPassing, d.ChecksTotal, d.Image, sig)
	case journal.Evidence:
		what = fmt.Sprintf("evidence %s %s %s on %s (%s, %s): %s", d.Machine, d.Status, d.Op, d.DB, d.Timestamp, dur(d.RunningForS), d.Line)
	case journal.Verdict:
		what = fmt.Sprintf("verdict %s: %s", d.Verdict, d.Reason)
		if d.Next != "" {
			what += " | next: " + d.Next
		}
		if d.NextNote != "" {
			what += " | note: " + d.NextNote
		}
	case journal.Precondition:
		ok := "ok"
		if !d.OK {
			ok = "FAIL"
		}
		what = fmt.Sprintf("precondition %s %s: %s", d.Name, ok, d.Detail)
	case journal.Gate:
		ok := "confirmed"
		if !d.OK {
			ok = "refused"
		}
		what = fmt.Sprintf("gate %s by %s: %s", ok, d.ConfirmedBy, d.Command)
	case journal.CommandStart:
		what = fmt.Sprintf("command start: %s (in %s)", d.Command, d.Dir)
	case journal.CommandOutput:
		what = fmt.Sprintf("%s| %s", d.Stream, d.Line)
	case journal.CommandExit:
		what = fmt.Sprintf("command exit %d image %s %s", d.Code, d.Image, d.Digest)
		switch {
		case d.Signal != "":
			what += " (killed by a signal: " + d.Signal + ")"
		case d.Interrupted:
			what += " (after an interrupt)"
		}
		if d.Error != "" {
			what += ": " + firstLine(d.Error)
		}
	case journal.SmokeResult:
		ok := "ok"
		if !d.OK {
			ok = "FAIL"
		}
		what = strings.TrimSpace(fmt.Sprintf("smoke %s %s %s %s: %s", d.Machine, d.Check, d.Request, ok, d.Detail))
	case journal.SmokeMachine:
		good := "not yet good"
		if d.Good {
			good = "good"
		}
		image := "not the deployed image"
		if d.ImageOK {
			image = "deployed image"
		}
		what = fmt.Sprintf("machine %s %s %s checks %d/%d %s (%s), requests %s: %s (%s)",
			d.ID, d.Region, d.State, d.ChecksPassing, d.ChecksTotal, image, d.Image, orNotAsked(d.Requests), good, d.Stage)
	case journal.Hold:
		what = fmt.Sprintf("hold %s of %s, %s left", dur(d.ElapsedS), dur(d.HoldS), dur(d.RemainingS))
	case journal.Note:
		what = d.Text
	case journal.Abort:
		what = "abort: " + d.Reason
	case journal.IncidentEnd:
		what = fmt.Sprintf("end %s (exit %d)", d.Verdict, d.ExitCode)
	case journal.Page:
		what = fmt.Sprintf("paged by %s: %s", d.By, strings.Join(strings.Fields(d.Text), " "))
	case journal.Unknown:
		what = string(d.Raw)
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s", ev.TS.UTC().Format("15:04:05"), ev.Phase, ev.Kind, oneLine(what))
}

// Diagnosis is the --json object of diagnose and scan (docs/cli/jpops_diagnose.md); outside scripts rely on its fields.
type Diagnosis struct {
	Verdict  verdict.Verdict      `json:"verdict"`
	App      string               `json:"app"`
	Reason   string               `json:"reason"`
	Next     string               `json:"next,omitempty"`      // one command, safe to paste (see advice.Check)
	NextNote string               `json:"next_note,omitempty"` // prose to read with it
	Machines []phases.MachineView `json:"machines"`
	Evidence []phases.Evidence    `json:"evidence"`
	Unread   []phases.Unread      `json:"unread,omitempty"` // machines whose logs could not be read
	Source   string               `json:"source,omitempty"`
}

// JSON writes v as one indented JSON object.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Styler decorates text on a colour terminal; the zero value adds nothing.
type Styler struct {
	Bold, Bad, Good, Warn, Faint func(string) string
}

func (s Styler) apply(f func(string) string, t string) string {
	if f == nil {
		return t
	}
	return f(t)
}

// PlainDiagnosis writes stable lines for scripts: one per machine and
// evidence, then the verdict. No styling, tab-separated.
func PlainDiagnosis(w io.Writer, d Diagnosis) {
	for _, m := range d.Machines {
		fmt.Fprintf(w, "machine\t%s\t%s\t%s\t%d/%d\t%s\tsignature=%t\n", m.ID, m.Region, m.State, m.ChecksPassing, m.ChecksTotal, m.Image, m.Signature)
	}
	for _, e := range d.Evidence {
		fmt.Fprintf(w, "evidence\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n", e.Machine, e.Status, e.Op, e.DB, e.Timestamp, e.RunningForS, oneLine(e.Line))
	}
	for _, u := range d.Unread {
		fmt.Fprintf(w, "unread\t%s\t%s\n", u.Machine, oneLine(u.Error))
	}
	fmt.Fprintf(w, "verdict\t%s\t%s\n", d.Verdict, oneLine(d.Reason))
	if d.Next != "" {
		fmt.Fprintf(w, "next\t%s\n", d.Next)
	}
	if d.NextNote != "" {
		fmt.Fprintf(w, "note\t%s\n", oneLine(d.NextNote))
	}
}

// HumanDiagnosis writes the report for a person at a terminal: a machines
// table, the evidence, the verdict and the next command.
func HumanDiagnosis(w io.Writer, d Diagnosis, st Styler) {
	if len(d.Machines) > 0 {
		fmt.Fprintln(w, st.apply(st.Bold, fmt.Sprintf("Machines of %s", d.App)))
		rows := [][]string{{"ID", "REGION", "STATE", "CHECKS", "IMAGE", "SIGNATURE"}}
		for _, m := range d.Machines {
			sig := ""
			if m.Signature {
				sig = fmt.Sprintf("yes (started %s ago, failing checks)", time.Duration(m.SinceS*float64(time.Second)).Round(time.Second))
			}
			rows = append(rows, []string{m.ID, m.Region, m.State, fmt.Sprintf("%d/%d", m.ChecksPassing, m.ChecksTotal), shortImage(m.Image), sig})
		}
		writeTable(w, rows, func(row, col int, cell string) string {
			if row == 0 {
				return st.apply(st.Faint, cell)
			}
			if col == 5 && cell != "" {
				return st.apply(st.Bad, cell)
			}
			return cell
		})
		fmt.Fprintln(w)
	}
	if len(d.Evidence) > 0 {
		fmt.Fprintln(w, st.apply(st.Bold, "Boot-log evidence"))
		ev := append([]phases.Evidence(nil), d.Evidence...)
		sort.SliceStable(ev, func(i, j int) bool { return ev[i].Machine < ev[j].Machine })
		for _, e := range ev {
			head := fmt.Sprintf("  %s  %s %s on %s", e.Machine, strings.ToUpper(e.Status), e.Op, e.DB)
			if e.Status == "hung" || e.Status == "running" {
				head += fmt.Sprintf(", running %s", time.Duration(e.RunningForS*float64(time.Second)).Round(time.Second))
			}
			if e.Status == "hung" {
				head = st.apply(st.Bad, head)
			}
			fmt.Fprintln(w, head)
			fmt.Fprintf(w, "    %s  %s\n", e.Timestamp, oneLine(e.Line))
			if e.Completion != "" {
				fmt.Fprintf(w, "    completed: %s\n", oneLine(e.Completion))
			}
		}
		fmt.Fprintln(w)
	}
	if len(d.Unread) > 0 {
		noun := "machines"
		if len(d.Unread) == 1 {
			noun = "machine"
		}
		fmt.Fprintln(w, st.apply(st.Bold, fmt.Sprintf("Logs not read (%d %s)", len(d.Unread), noun)))
		for _, u := range d.Unread {
			fmt.Fprintln(w, st.apply(st.Warn, fmt.Sprintf("  %s  %s", u.Machine, oneLine(u.Error))))
		}
		fmt.Fprintln(w)
	}
	vs := fmt.Sprintf("Verdict: %s", d.Verdict)
	switch d.Verdict {
	case verdict.HangConfirmed, verdict.NotThisIncident:
		vs = st.apply(st.Bad, vs)
	case verdict.Healthy:
		vs = st.apply(st.Good, vs)
	default:
		vs = st.apply(st.Warn, vs)
	}
	fmt.Fprintln(w, st.apply(st.Bold, vs))
	if d.Reason != "" {
		fmt.Fprintln(w, "  "+d.Reason)
	}
	WriteAdvice(w, "Next: ", "Note: ", d.Advice())
}

// Advice is the diagnosis's next step.
func (d Diagnosis) Advice() advice.Advice { return advice.Advice{Command: d.Next, Note: d.NextNote} }

// SetAdvice sets the diagnosis's next step.
func (d *Diagnosis) SetAdvice(a advice.Advice) { d.Next, d.NextNote = a.Command, a.Note }

// WriteAdvice writes the next step as two labelled lines, the command and
// the note apart, so a reader never takes one for the other. Either is left
// out when empty.
func WriteAdvice(w io.Writer, commandLabel, noteLabel string, a advice.Advice) {
	if a.Command != "" {
		fmt.Fprintln(w, commandLabel+oneLine(a.Command))
	}
	if a.Note != "" {
		fmt.Fprintln(w, noteLabel+oneLine(a.Note))
	}
}

func writeTable(w io.Writer, rows [][]string, style func(row, col int, cell string) string) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for ri, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := widths[i] - len([]rune(c))
			b.WriteString(style(ri, i, c))
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", pad+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// shortImage keeps repository:tag, dropping the registry host.
func shortImage(s string) string {
	if i := strings.IndexByte(s, '/'); i >= 0 && strings.Contains(s[:i], ".") {
		return s[i+1:]
	}
	return s
}

func dur(seconds float64) string {
	return time.Duration(seconds * float64(time.Second)).Round(time.Second).String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// NDJSON writes v as one compact JSON line.
func NDJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

func orNotAsked(requests string) string {
	if requests == "" {
		return "not asked yet"
	}
	return requests
}
