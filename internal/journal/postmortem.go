package journal

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// PostmortemOptions tunes the draft.
type PostmortemOptions struct {
	// Redactor masks extra secret values; nil uses redact.Default.
	Redactor *redact.Redactor
}

// imageLine is the line flyctl deploy prints for the image it built.
var imageLine = regexp.MustCompile(`^\s*image:\s*(\S+)`)

// Postmortem renders the Markdown post-mortem draft of an incident in the
// structure of the 2026-05-11 post-mortem. Output depends on the events
// alone (no clock), so it is golden-testable; all text is redacted again.
func Postmortem(events []Event, opts PostmortemOptions) string {
	r := opts.Redactor
	if r == nil {
		r = redact.Default
	}
	p := pm{st: State(events), m: Measure(events), events: events}
	p.collect()

	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	w("# %s %s %s post-mortem (draft)\n\n", date(p.m.Onset), orDash(p.st.App), p.title())
	switch p.st.Mode {
	case ModeDrill:
		w("> **Drill.** This is a rehearsal against the simulated Fly platform, not a real outage; times are simulated.\n\n")
	case ModeDryRun:
		w("> **Dry run.** Nothing was deployed; commands were shown, not run.\n\n")
	}
	w("%s\n\n", p.summary())

	w("## TL;DR\n\n")
	for _, line := range p.tldr() {
		w("- %s\n", line)
	}

	w("\n## Timeline (UTC)\n\n| Time UTC | Event | Source |\n|---|---|---|\n")
	for _, row := range p.timeline() {
		w("| %s | %s | %s |\n", row.t.UTC().Format("15:04"), cell(row.event), row.source)
	}

	w("\n## Detection\n\n")
	w("- First noticed by: _(author: uptime alert, customer report, `jpops watch` page?)_\n")
	for _, e := range p.signature {
		d := e.Data.(Machine)
		w("- Machines API at %s: machine `%s` (%s) is `%s` with checks %d/%d passing, image `%s`.\n",
			hm(e.TS), d.ID, orDash(d.Region), d.State, d.ChecksPassing, d.ChecksTotal, orDash(d.Image))
	}
	for _, e := range p.evidence {
		d := e.Data.(Evidence)
		w("- Boot log of machine `%s` at %s: `%s`%s.\n", d.Machine, evidenceTime(e), d.Line, runningFor(d))
	}
	if p.diagnosis != nil {
		d := p.diagnosis.Data.(Verdict)
		w("- jpops verdict at %s: **%s**%s (time to diagnose: %s).\n", hm(p.diagnosis.TS), d.Verdict, dashed(d.Reason), dur(p.m.TimeToDiagnose))
	}

	w("\n## Mitigation\n\n")
	for _, e := range p.preconditions {
		d := e.Data.(Precondition)
		status := "ok"
		if !d.OK {
			status = "failed"
		}
		if forced(d) {
			status += ", forced"
		}
		w("- Precondition `%s`: %s%s.\n", d.Name, status, dashed(d.Detail))
	}
	for _, e := range p.gates {
		w("- Gate at %s: %s.\n", hm(e.TS), gateText(e.Data.(Gate)))
	}
	if len(p.st.PriorImages) > 0 {
		ids := make([]string, 0, len(p.st.PriorImages))
		for id := range p.st.PriorImages {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			w("- Image of machine `%s` before the deploy: `%s`.\n", id, p.st.PriorImages[id])
		}
	}
	if len(p.commands) == 0 {
		w("\nNo command was run.\n")
	} else {
		w("\n```\n")
		for _, c := range p.commands {
			start := c.start.Data.(CommandStart)
			w("# %s UTC%s\n%s\n", hm(c.start.TS), inDir(start), commandLine(start))
			if c.exit == nil {
				w("# exit not recorded (interrupted?)\n")
				continue
			}
			x := c.exit.Data.(CommandExit)
			w("# exit %d at %s UTC", x.Code, hm(c.exit.TS))
			if x.Image != "" {
				w("; image %s", x.Image)
			}
			if x.Digest != "" {
				w(" (%s)", x.Digest)
			}
			if x.Error != "" {
				w("; error: %s", x.Error)
			}
			w("\n")
		}
		w("```\n")
	}
	w("\n%s\n", p.smokeSentence())

	w("\n## Impact\n\n")
	w("- Downtime: %s (%s → %s UTC%s).\n", dur(p.m.Downtime), hm(p.m.Onset), hm(p.downEnd()), p.downEndNote())
	w("- Time to diagnose: %s; to mitigate: %s; to verify: %s (from jpops start at %s UTC).\n",
		dur(p.m.TimeToDiagnose), dur(p.m.TimeToMitigate), dur(p.m.TimeToVerify), hm(p.m.Start))
	w("- Gates taken: %d; wrong turns: %d.\n", p.m.GatesTaken, p.m.WrongTurns)
	for _, reason := range p.m.WrongTurnReasons {
		w("  - %s\n", reason)
	}
	w("- Customer-visible impact: _(author)_\n")

	w("\n## Root cause\n\n")
	w("_To be written by the author._ The journal's evidence, as a starting point:\n\n")
	if len(p.evidence) == 0 {
		w("No boot-log evidence was recorded.\n")
	} else {
		w("```\n")
		for _, e := range p.evidence {
			d := e.Data.(Evidence)
			w("%s %s %s\n", evidenceTime(e), d.Machine, d.Line)
		}
		w("```\n\n")
		w("An unfinished full-scan op says nothing about corruption either way; the question is why the boot ran it at all.\n")
	}

	w("\n## Action items\n\n| ID | Action | Owner | Status |\n|---|---|---|---|\n")
	for i, item := range p.actions() {
		w("| AI-%d | %s | | OPEN |\n", i+1, cell(item))
	}
	w("\n_Drafted by jpops from journal %s (%d events). Edit before sharing._\n", orDash(p.st.Incident), len(events))

	return r.String(b.String())
}

// pm holds what the sections share.
type pm struct {
	st     ResumeState
	m      Metrics
	events []Event

	signature     []Event // machine events carrying the hang signature
	evidence      []Event // boot-log lines of ops that had not completed
	diagnosis     *Event  // the boot-logs verdict (else the last verdict)
	preconditions []Event
	gates         []Event
	commands      []command
	smokeFails    []Event
}

type command struct {
	start Event
	exit  *Event
}

func (p *pm) collect() {
	seen := map[string]bool{}
	for i := range p.events {
		e := p.events[i]
		switch d := e.Data.(type) {
		case Machine:
			if d.Signature && !seen["m"+d.ID] {
				seen["m"+d.ID] = true
				p.signature = append(p.signature, e)
			}
		case Evidence:
			if !d.Completed() {
				p.evidence = append(p.evidence, e)
			}
		case Verdict:
			if p.diagnosis == nil || e.Phase == runbook.PhaseBootlogs {
				p.diagnosis = &p.events[i]
			}
		case Precondition:
			p.preconditions = append(p.preconditions, e)
		case Gate:
			p.gates = append(p.gates, e)
		case CommandStart:
			p.commands = append(p.commands, command{start: e})
		case CommandExit:
			if n := len(p.commands); n > 0 && p.commands[n-1].exit == nil {
				p.commands[n-1].exit = &p.events[i]
			}
		case SmokeResult:
			if !d.OK {
				p.smokeFails = append(p.smokeFails, e)
			}
		}
	}
}

// op and db name the wedged boot op from the first evidence.
func (p *pm) op() (op, db string) {
	if len(p.evidence) == 0 {
		return "", ""
	}
	d := p.evidence[0].Data.(Evidence)
	return d.Op, d.DB
}

func (p *pm) title() string {
	op, _ := p.op()
	switch {
	case p.st.Final == string(verdict.Healthy) || p.st.Verdict == string(verdict.Healthy):
		return "false alarm (healthy)"
	case p.st.Verdict == string(verdict.NotThisIncident):
		return "outage (not a DB boot hang)"
	case op != "":
		return op + " boot hang outage"
	}
	return "DB boot hang outage"
}

func (p *pm) summary() string {
	op, db := p.op()
	cause := "its machines were `started` but never passed their health checks"
	if op != "" {
		cause = fmt.Sprintf("every boot ran `%s` on `%s` and never reached the health check", op, orDash(db))
	}
	return fmt.Sprintf("%s was down for ~%s on %s (~%s UTC start → ~%s UTC %s) because %s. Outcome: **%s**.",
		orDash(p.st.App), dur(p.m.Downtime), date(p.m.Onset), hm(p.m.Onset), hm(p.downEnd()),
		p.downEndWord(), cause, orDash(p.st.Final))
}

func (p *pm) downEnd() time.Time {
	if !p.m.Verified.IsZero() {
		return p.m.Verified
	}
	return p.m.End
}

func (p *pm) downEndWord() string {
	if !p.m.Verified.IsZero() {
		return "verified"
	}
	return "end of journal"
}

func (p *pm) downEndNote() string {
	if !p.m.Verified.IsZero() {
		return ", recovery verified incl. the stability hold"
	}
	return ", never verified: downtime may continue"
}

func (p *pm) tldr() []string {
	var out []string
	op, db := p.op()
	if op != "" {
		e := p.evidence[0]
		d := e.Data.(Evidence)
		out = append(out, fmt.Sprintf("Trigger: machine `%s` boot ran `%s` on `%s` (logged `%s` at %s UTC, no completion line).",
			d.Machine, op, orDash(db), d.Line, evidenceTime(e)))
		out = append(out, fmt.Sprintf("Hang: `%s`%s; %d machine(s) `started` with failing health checks, so the proxy had no healthy candidate.",
			op, runningFor(d), len(p.signature)))
	} else {
		out = append(out, "Trigger: no boot-log evidence recorded.")
	}
	if n := len(p.commands); n > 0 {
		c := p.commands[n-1]
		res := fmt.Sprintf("Resolution: `%s`", commandLine(c.start.Data.(CommandStart)))
		if c.exit != nil {
			res += fmt.Sprintf(" exited %d", c.exit.Data.(CommandExit).Code)
		} else {
			res += " (exit not recorded)"
		}
		if p.st.Image != "" {
			res += fmt.Sprintf("; new image `%s`", p.st.Image)
		}
		if p.st.Digest != "" {
			res += fmt.Sprintf(" (`%s`)", p.st.Digest)
		}
		out = append(out, res+".")
	} else {
		out = append(out, "Resolution: no deploy was run.")
	}
	out = append(out, fmt.Sprintf("Outcome: **%s**. %s Downtime ~%s.", orDash(p.st.Final), p.smokeSentence(), dur(p.m.Downtime)))
	return out
}

func (p *pm) smokeSentence() string {
	switch {
	case p.st.Phases[runbook.PhaseSmoke] == "passed" || p.st.HoldMet:
		return fmt.Sprintf("Smoke walk passed on every machine and the stability hold of %s was met.", dur(p.st.Hold))
	case len(p.smokeFails) > 0:
		last := p.smokeFails[len(p.smokeFails)-1].Data.(SmokeResult)
		return fmt.Sprintf("Smoke walk failed (%d failed checks; last: machine `%s` %s%s).",
			len(p.smokeFails), last.Machine, last.Check, dashed(last.Detail))
	case p.st.Phases[runbook.PhaseSmoke] != "":
		return "Smoke walk " + p.st.Phases[runbook.PhaseSmoke] + "."
	}
	return "No smoke walk was run."
}

type row struct {
	t      time.Time
	event  string
	source string
}

func (p *pm) timeline() []row {
	var rows []row
	add := func(t time.Time, source, format string, a ...any) {
		rows = append(rows, row{t: t, event: fmt.Sprintf(format, a...), source: source})
	}
	prog := "Command" // the program of the latest command_start, for its exit row
	seen := map[string]bool{}
	once := func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}
	for _, e := range p.events {
		switch d := e.Data.(type) {
		case IncidentStart:
			add(e.TS, "jpops", "Incident opened (app %s, runbook %s, mode %s)", orDash(d.App), orDash(d.Runbook), orDash(e.Mode))
		case PhaseStart:
			add(e.TS, "jpops", "Phase %s started%s", e.Phase, dashed(d.Title))
		case PhaseEnd:
			add(e.TS, "jpops", "Phase %s %s%s", e.Phase, orDash(d.Status), dashed(d.Reason))
		case Machine:
			if !d.Signature || !once("machine "+d.ID) {
				break
			}
			if d.SinceS > 0 {
				add(e.TS.Add(-secs(d.SinceS)), "machines API", "Machine %s last started; health checks failing since", d.ID)
			}
			add(e.TS, "machines API", "Machine %s (%s) `%s` with CHECKS %d/%d: hang signature", d.ID, orDash(d.Region), d.State, d.ChecksPassing, d.ChecksTotal)
		case Evidence:
			t, ok := timeOf(d.Timestamp)
			if !ok {
				t = e.TS
			}
			add(t, "logs API", "Machine %s logs `%s`", d.Machine, d.Line)
		case Verdict:
			add(e.TS, "jpops", "Verdict %s%s", d.Verdict, dashed(d.Reason))
		case Precondition:
			if !d.OK || forced(d) {
				add(e.TS, "jpops", "Precondition %s %s%s", d.Name, map[bool]string{true: "forced", false: "failed"}[forced(d)], dashed(d.Detail))
			}
		case Gate:
			add(e.TS, gateSource(d), "Gate: %s", gateText(d))
		case CommandStart:
			if cmd := strings.Fields(commandLine(d)); len(cmd) > 0 {
				prog = "`" + cmd[0] + "`"
			}
			add(e.TS, "jpops", "Ran `%s`", commandLine(d))
		case CommandOutput:
			if m := imageLine.FindStringSubmatch(d.Line); m != nil && once("image "+m[1]) {
				add(e.TS, "flyctl output", "New image `%s` built and pushed", m[1])
			} else if strings.HasPrefix(strings.TrimSpace(d.Line), "Error") {
				add(e.TS, "flyctl output", "%s", strings.TrimSpace(d.Line))
			}
		case CommandExit:
			add(e.TS, "flyctl output", "%s exited %d%s", prog, d.Code, dashed(d.Error))
		case SmokeResult:
			if !d.OK {
				if once("fail " + d.Machine + d.Check + d.Detail) {
					add(e.TS, "smoke walk", "Machine %s failed the %s check%s", d.Machine, orDash(d.Check), dashed(d.Detail))
				}
			} else if d.Check == "request" && once("pass "+d.Machine) {
				add(e.TS, "smoke walk", "Machine %s answers %s with %s when addressed directly", d.Machine, orDash(d.Request), orDash(statusText(d.Status)))
			}
		case Hold:
			if once("hold start") {
				add(e.TS, "smoke walk", "Stability hold of %s started", dur(secs(d.HoldS)))
			}
			if d.Met() && once("hold met") {
				add(e.TS, "smoke walk", "Stability hold of %s met", dur(secs(d.HoldS)))
			}
		case Note:
			add(e.TS, "operator", "Note: %s", d.Text)
		case Abort:
			add(e.TS, "operator", "Aborted%s", dashed(d.Reason))
		case IncidentEnd:
			add(e.TS, "jpops", "Incident closed: %s (exit %d)", orDash(string(d.Verdict)), d.ExitCode)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t.Before(rows[j].t) })
	return rows
}

func (p *pm) actions() []string {
	app := orDash(p.st.App)
	items := []string{
		"Guard every full-scan SQLite op in the boot scripts by database size; check them with `jpops audit`.",
		fmt.Sprintf("Run the watchdog so the hang signature pages before customers notice: `jpops watch -a %s`.", app),
		"Rehearse this runbook on a quiet afternoon with `jpops drill`, monthly.",
	}
	if p.st.Final != "" && p.st.Final != string(verdict.Recovered) {
		items = append(items, fmt.Sprintf("Find why the incident ended %s; verify recovery with `jpops smoke -a %s --image IMAGE`.", p.st.Final, app))
	}
	if p.m.WrongTurns > 0 {
		items = append(items, "Review the wrong turns ("+strings.Join(p.m.WrongTurnReasons, "; ")+") and fix the runbook or the gates.")
	}
	return items
}

func forced(d Precondition) bool { return d.Forced || d.ConfirmedBy == ByForce }

func gateSource(d Gate) string {
	switch d.ConfirmedBy {
	case ByYes:
		return "jpops (--yes)"
	case ByForce:
		return "operator (--force)"
	}
	return "operator"
}

func gateText(d Gate) string {
	if !d.OK {
		return fmt.Sprintf("refused `%s`", d.Command)
	}
	return fmt.Sprintf("`%s` confirmed by %s", d.Command, orDash(d.ConfirmedBy))
}

func inDir(d CommandStart) string {
	if d.Dir != "" {
		return ", in " + d.Dir
	}
	return ""
}

func evidenceTime(e Event) string {
	if t, ok := timeOf(e.Data.(Evidence).Timestamp); ok {
		return hm(t)
	}
	return hm(e.TS)
}

func runningFor(d Evidence) string {
	if s := secs(d.RunningForS); s > 0 {
		return fmt.Sprintf(" still running after %s, no completion line", dur(s))
	}
	return ""
}

func statusText(code int) string {
	if code == 0 {
		return ""
	}
	return fmt.Sprint(code)
}

func dashed(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func date(t time.Time) string {
	if t.IsZero() {
		return "undated"
	}
	return t.UTC().Format("2006-01-02")
}

func hm(t time.Time) string {
	if t.IsZero() {
		return "--:--"
	}
	return t.UTC().Format("15:04")
}

// dur renders a duration the way the post-mortem does: 5h12m, 18m, 45s.
func dur(d time.Duration) string {
	if d <= 0 {
		return "n/a"
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0 && s > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	case m > 0:
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%ds", s)
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return s
}

// commandLine is the command as the runbook names it ("command"), falling
// back to the argv actually run (which may start with a wrapper, as in drills).
func commandLine(d CommandStart) string {
	if d.Command != "" {
		return d.Command
	}
	return strings.Join(d.Argv, " ")
}
