// Package postmortem renders the Markdown post-mortem draft of an incident
// from its incident view, in the structure of the 2026-05-11 post-mortem. It
// states only what the journal shows: the hold that held, the deploy's real
// exit, who did each step, each boot-log line once.
package postmortem

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// Options tunes the draft.
type Options struct {
	// Redactor masks extra secret values; nil uses redact.Default.
	Redactor *redact.Redactor
}

// Render renders the draft of the events' incident.
func Render(events []journal.Event, opts Options) string {
	return RenderView(incident.Reduce(events), opts)
}

// RenderView renders the draft of an incident view. Output depends on the
// view alone (no clock), so it is golden-testable; all text is redacted again.
func RenderView(v *incident.View, opts Options) string {
	r := opts.Redactor
	if r == nil {
		r = redact.Default
	}
	p := pm{v: v, m: v.Metrics()}

	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	w("# %s %s %s post-mortem (draft)\n\n", date(p.m.Onset), orDash(v.App()), p.title())
	switch v.Mode {
	case journal.ModeDrill:
		w("> **Drill.** This is a rehearsal against the simulated Fly platform, not a real outage; times are simulated.\n\n")
	case journal.ModeDryRun:
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

	w("\n## Root cause\n\n")
	w("_To be written by the author._ The journal's evidence, as a starting point:\n\n")
	if len(v.Evidence) == 0 {
		w("No boot-log evidence was recorded.\n")
	} else {
		w("```\n")
		for _, e := range v.Evidence {
			w("%s %s %s\n", evidenceTime(e), e.Data.Machine, e.Data.Line)
		}
		w("```\n\n")
		w("An unfinished full-scan op says nothing about corruption either way; the question is why the boot ran it at all.\n")
	}

	w("\n## Detection\n\n")
	if len(v.Pages) > 0 {
		first := v.Pages[0]
		w("- First noticed by: %s, paging at %s UTC: %s%s\n", orDash(first.Data.By), hm(first.TS), headline(first.Data.Text), paged(first.Data))
		for _, pg := range v.Pages[1:] {
			w("- %s paged again at %s UTC: %s%s\n", orDash(pg.Data.By), hm(pg.TS), headline(pg.Data.Text), paged(pg.Data))
		}
	} else {
		w("- First noticed by: _(author: uptime alert, customer report, `jpops watch` page?)_\n")
	}
	for _, s := range v.Signature {
		d := s.Data
		w("- Machines API at %s: machine `%s` (%s) is `%s` (%s) with checks %d/%d passing, image `%s`%s%s.\n",
			hm(s.TS), d.ID, orDash(d.Region), d.State, orDash(d.Health), d.ChecksPassing, d.ChecksTotal, orDash(d.Image), inParens(d.Digest), updated(d.UpdatedAt))
	}
	for _, e := range v.Evidence {
		w("- Boot log of machine `%s` at %s: `%s`%s.\n", e.Data.Machine, evidenceTime(e), e.Data.Line, runningFor(e.Data))
	}
	if dg := v.Diagnosis; dg != nil {
		w("- jpops verdict at %s: **%s**%s (time to diagnose: %s).\n", hm(dg.TS), dg.Data.Verdict, dashed(dg.Data.Reason), dur(p.m.TimeToDiagnose))
	}

	w("\n## Mitigation\n\n")
	for _, pc := range v.Preconds {
		d := pc.Data
		status := "ok"
		if !d.OK {
			status = "failed"
		}
		if incident.Forced(d) {
			status += ", forced"
		}
		w("- Precondition `%s`: %s%s.\n", d.Name, status, dashed(d.Detail))
		for _, f := range d.Findings {
			w("  - %s\n", f)
		}
	}
	for _, g := range v.Gates {
		w("- Gate at %s: %s.\n", hm(g.TS), gateText(g.Data))
	}
	// The images_recorded precondition kept each image with its digest;
	// without it, the images the Machines API showed before the deploy.
	before := v.Recorded
	if len(before) == 0 {
		before = v.Prior
	}
	if len(before) > 0 {
		ids := make([]string, 0, len(before))
		for id := range before {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		when := "before the deploy"
		if len(v.Commands) == 0 {
			when = "when diagnosed" // nothing was deployed: there is no "before"
		}
		for _, id := range ids {
			w("- Image of machine `%s` %s: `%s`.\n", id, when, before[id])
		}
	}
	if len(v.Commands) == 0 {
		w("\nNo command was run.\n")
	} else {
		w("\n```\n")
		for _, c := range v.Commands {
			w("# %s UTC%s\n%s\n", hm(c.Started), inDir(c.Dir), c.Line())
			if !c.Exited {
				w("# exit not recorded (interrupted?)\n")
				continue
			}
			w("# %s at %s UTC", exitText(c), hm(c.ExitAt))
			if c.Exit.Image != "" {
				w("; image %s", c.Exit.Image)
			}
			if c.Exit.Digest != "" {
				w(" (%s)", c.Exit.Digest)
			}
			if c.Exit.Error != "" {
				w("; error: %s", c.Exit.Error)
			}
			w("\n")
		}
		w("```\n")
	}
	w("\n%s\n", p.smokeSentence())

	w("\n## Impact\n\n")
	if p.healthy() {
		w("- Downtime: none recorded: every started machine passed its checks when jpops looked at %s UTC.\n", hm(p.m.Start))
	} else {
		w("- Downtime: %s%s (%s → %s UTC%s).\n", p.atLeast(), dur(p.m.Downtime), hm(p.m.Onset), hm(p.downEnd()), p.downEndNote())
	}
	w("- Time to diagnose: %s; to %s: %s; to verify: %s (from jpops start at %s UTC).\n",
		dur(p.m.TimeToDiagnose), p.deployWord(), dur(p.m.TimeToDeploy), dur(p.m.TimeToVerify), hm(p.m.Start))
	w("- Gates taken: %d; wrong turns: %d.\n", p.m.GatesTaken, p.m.WrongTurns)
	for _, reason := range p.m.WrongTurnReasons {
		w("  - %s\n", reason)
	}
	w("- Customer-visible impact: _(author)_\n")

	w("\n## Lessons learned\n\n_To be written by the author: what this incident teaches beyond its fix._\n")

	w("\n## Action items\n\n| ID | Action | Owner | Status |\n|---|---|---|---|\n")
	for i, item := range p.actions() {
		w("| AI-%d | %s | | OPEN |\n", i+1, cell(item))
	}
	if next := p.nextStep(); next.Command != "" && next.Note != "" {
		// Whole, out of the table, whose cells are cut at 200 characters.
		w("\nWith the next step, jpops noted: %s\n", next.Note)
	}
	w("\n_Drafted by jpops from journal %s (%d events). Edit before sharing._\n", orDash(v.Incident), v.Events)

	return r.String(b.String())
}

// pm holds what the sections share.
type pm struct {
	v *incident.View
	m incident.Metrics
}

// op and db name the wedged boot op from the first evidence.
func (p *pm) op() (op, db string) {
	if len(p.v.Evidence) == 0 {
		return "", ""
	}
	d := p.v.Evidence[0].Data
	return d.Op, d.DB
}

func (p *pm) title() string {
	op, _ := p.op()
	switch {
	case p.v.Final == verdict.Healthy || p.v.Verdict == verdict.Healthy:
		return "false alarm (healthy)"
	case p.v.Verdict == verdict.NotThisIncident:
		return "outage (not a DB boot hang)"
	case op != "":
		return op + " boot hang outage"
	}
	return "DB boot hang outage"
}

// healthy reports an incident that found no outage: a false alarm has no
// downtime and no cause to state.
func (p *pm) healthy() bool {
	return p.v.Final == verdict.Healthy || (p.v.Final == "" && p.v.Verdict == verdict.Healthy)
}

// onsetKnown reports whether the journal shows when the outage began (boot
// evidence, a page, a machine failing since); otherwise the onset is only
// when jpops started, and the downtime a lower bound.
func (p *pm) onsetKnown() bool { return p.m.Onset.Before(p.m.Start) }

func (p *pm) atLeast() string {
	if p.onsetKnown() {
		return ""
	}
	return "at least "
}

func (p *pm) summary() string {
	app := orDash(p.v.App())
	if p.healthy() {
		return fmt.Sprintf("jpops found %s healthy on %s at %s UTC%s. No outage was recorded and nothing was deployed. Outcome: **%s**.",
			app, date(p.m.Start), hm(p.m.Start), dashed(p.verdictReason()), verdict.Healthy)
	}
	op, db := p.op()
	var cause string
	switch {
	case op != "":
		cause = fmt.Sprintf("every boot ran `%s` on `%s` and never reached the health check", op, orDash(db))
	case p.v.Verdict == verdict.NotThisIncident:
		cause = "its machines failed, but not with the boot-hang signature" + dashed(p.verdictReason())
	default:
		cause = "its machines were `started` but never passed their health checks"
	}
	start := fmt.Sprintf("~%s UTC start", hm(p.m.Onset))
	if !p.onsetKnown() {
		start = fmt.Sprintf("start unknown, jpops started at ~%s UTC", hm(p.m.Onset))
	}
	return fmt.Sprintf("%s was down for %s~%s on %s (%s → ~%s UTC %s) because %s. Outcome: **%s**.",
		app, p.atLeast(), dur(p.m.Downtime), date(p.m.Onset), start, hm(p.downEnd()),
		p.downEndWord(), cause, orDash(string(p.v.Final)))
}

// verdictReason is the diagnosis's reason, if one was journaled.
func (p *pm) verdictReason() string {
	if dg := p.v.Diagnosis; dg != nil {
		return dg.Data.Reason
	}
	return ""
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
		if p.v.Hold.Met {
			return ", recovery verified incl. the stability hold"
		}
		return ", recovery verified"
	}
	return ", never verified: downtime may continue"
}

// deployWord names what the deploy did: it mitigated the outage only if
// recovery was verified afterwards.
func (p *pm) deployWord() string {
	if p.m.Verified.IsZero() {
		return "deploy (unverified)"
	}
	return "mitigate"
}

func (p *pm) tldr() []string {
	var out []string
	op, db := p.op()
	if op != "" {
		e := p.v.Evidence[0]
		out = append(out, fmt.Sprintf("Trigger: machine `%s` boot ran `%s` on `%s` (logged `%s` at %s UTC, no completion line).",
			e.Data.Machine, op, orDash(db), e.Data.Line, evidenceTime(e)))
		out = append(out, fmt.Sprintf("Hang: `%s`%s; %d machine(s) `started` with failing health checks, so the proxy had no healthy candidate.",
			op, runningFor(e.Data), len(p.v.Signature)))
	} else {
		out = append(out, "Trigger: no boot-log evidence recorded.")
	}
	if n := len(p.v.Commands); n > 0 {
		c := p.v.Commands[n-1]
		label := "Resolution"
		if p.m.Verified.IsZero() {
			label = "Attempted fix" // a deploy that did not verify resolved nothing
		}
		res := fmt.Sprintf("%s: `%s`", label, c.Line())
		if c.Exited {
			res += " " + exitVerb(c)
		} else {
			res += " (exit not recorded)"
		}
		if p.v.Image != "" {
			res += fmt.Sprintf("; new image `%s`", p.v.Image)
		}
		if p.v.Digest != "" {
			res += fmt.Sprintf(" (`%s`)", p.v.Digest)
		}
		if p.deployedUnverified() {
			res += "; the deploy did not verify: the machines may still be wedged"
		}
		out = append(out, res+".")
	} else {
		out = append(out, "Resolution: no deploy was run.")
	}
	downtime := fmt.Sprintf("Downtime %s~%s.", p.atLeast(), dur(p.m.Downtime))
	if p.healthy() {
		downtime = "No downtime recorded."
	}
	out = append(out, fmt.Sprintf("Outcome: **%s**. %s %s", orDash(string(p.v.Final)), p.smokeSentence(), downtime))
	return out
}

// deployedUnverified reports a deploy that finished but whose smoke walk
// failed or never passed.
func (p *pm) deployedUnverified() bool {
	return p.v.Deployed() && p.m.Verified.IsZero()
}

func (p *pm) smokeSentence() string {
	smoke := p.v.PhaseByID(runbook.PhaseSmoke)
	switch {
	case p.v.Hold.Met:
		return fmt.Sprintf("Smoke walk passed on every machine and the stability hold of %s was met.", dur(secs(p.v.Hold.HeldS)))
	case smoke != nil && smoke.Status == journal.StatusPassed:
		return "Smoke walk passed on every machine."
	case len(p.v.SmokeFail) > 0:
		last := p.v.SmokeFail[len(p.v.SmokeFail)-1].Data
		return fmt.Sprintf("Smoke walk failed (%d failed checks; last: machine `%s` %s%s): the deploy did not verify.",
			len(p.v.SmokeFail), last.Machine, last.Check, dashed(last.Detail))
	case smoke != nil && smoke.Status != incident.StatusPending:
		return "Smoke walk " + smoke.Status + "."
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
	prog := "Command" // the program of the latest command_start, for its exit row
	for _, mo := range p.v.Timeline {
		add := func(format string, a ...any) {
			rows = append(rows, row{t: mo.At, event: fmt.Sprintf(format, a...), source: mo.Who})
		}
		switch d := mo.Data.(type) {
		case journal.IncidentStart:
			add("Incident opened (app %s, runbook %s, mode %s, jpops %s%s)", orDash(d.App), orDash(d.Runbook), orDash(p.v.Mode), orDash(d.Version), flags(d))
		case journal.PhaseStart:
			add("Phase %s started%s", mo.Phase, dashed(d.Title))
		case journal.PhaseEnd:
			add("Phase %s %s%s", mo.Phase, orDash(d.Status), dashed(d.Reason))
		case journal.Machine:
			if mo.Mark == incident.MarkSince {
				add("Machine %s last started; health checks failing since", d.ID)
			} else {
				add("Machine %s (%s) `%s` with CHECKS %d/%d: hang signature", d.ID, orDash(d.Region), d.State, d.ChecksPassing, d.ChecksTotal)
			}
		case journal.Evidence:
			add("Machine %s logs `%s`", d.Machine, d.Line)
		case journal.Verdict:
			add("Verdict %s%s", d.Verdict, dashed(d.Reason))
		case journal.Precondition:
			add("Precondition %s %s%s", d.Name, map[bool]string{true: "forced", false: "failed"}[incident.Forced(d)], dashed(d.Detail))
		case journal.Gate:
			add("Gate: %s", gateText(d))
		case journal.CommandStart:
			line := incident.Command{CommandStart: d}.Line()
			if cmd := strings.Fields(line); len(cmd) > 0 {
				prog = "`" + cmd[0] + "`"
			}
			add("Ran `%s`", line)
		case journal.CommandOutput:
			if mo.Mark == incident.MarkImage {
				add("New image `%s` built and pushed", mo.Text)
			} else {
				add("%s", mo.Text)
			}
		case journal.CommandExit:
			add("%s %s%s", prog, exitVerb(incident.Command{Exited: true, Exit: d}), dashed(d.Error))
		case journal.SmokeResult:
			if !d.OK {
				add("Machine %s failed the %s check%s", d.Machine, orDash(d.Check), dashed(d.Detail))
			} else {
				add("Machine %s answers %s with %s when addressed directly", d.Machine, orDash(d.Request), orDash(statusText(d.Status)))
			}
		case journal.Hold:
			if mo.Mark == incident.MarkHoldMet {
				add("Stability hold of %s met", dur(secs(d.HoldS)))
			} else {
				add("Stability hold of %s started", dur(secs(d.HoldS)))
			}
		case journal.Note:
			add("Note: %s", d.Text)
		case journal.Abort:
			add("Aborted%s", dashed(d.Reason))
		case journal.IncidentEnd:
			add("Incident closed: %s (exit %d)%s", orDash(string(d.Verdict)), d.ExitCode, dashed(d.Reason))
		case journal.Page:
			add("Paged: %s", headline(d.Text))
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t.Before(rows[j].t) })
	return rows
}

func (p *pm) actions() []string {
	app := orDash(p.v.App())
	items := []string{
		"Guard every full-scan SQLite op in the boot scripts by database size; check them with `jpops audit`.",
		fmt.Sprintf("Run the watchdog so the hang signature pages before customers notice: `jpops watch -a %s`.", app),
		"Rehearse this runbook on a quiet afternoon with `jpops drill`, monthly.",
	}
	switch {
	case p.healthy():
		items = append(items, "If users saw errors, look beyond the machines (proxy, DNS, upstream services): jpops found every started machine passing its checks.")
	case p.v.Final != "" && p.v.Final != verdict.Recovered && len(p.v.Commands) > 0:
		items = append(items, fmt.Sprintf("Find why the incident ended %s; verify recovery with `jpops smoke -a %s --image IMAGE`.", p.v.Final, app))
	case p.v.Final != "" && p.v.Final != verdict.Recovered:
		items = append(items, fmt.Sprintf("Find why the incident ended %s; nothing was deployed.", p.v.Final))
	}
	if p.m.WrongTurns > 0 {
		items = append(items, "Review the wrong turns ("+strings.Join(p.m.WrongTurnReasons, "; ")+") and fix the runbook or the gates.")
	}
	switch next := p.nextStep(); {
	case next.Command != "" && next.Note != "":
		items = append(items, "Take the next step jpops named: `"+next.Command+"` (its note is under this table).")
	case next.Command != "":
		items = append(items, "Take the next step jpops named: `"+next.Command+"`.")
	case next.Note != "":
		items = append(items, "Take the next step jpops named: "+next.Note+".")
	}
	return items
}

// exitText is the command's end for the command block.
func exitText(c incident.Command) string {
	if c.Signalled() || c.Exit.Interrupted {
		return c.Ended()
	}
	return fmt.Sprintf("exit %d", c.Exit.Code)
}

// exitVerb is the command's end in a sentence.
func exitVerb(c incident.Command) string { return c.Ended() }

func gateText(d journal.Gate) string {
	if !d.OK {
		return fmt.Sprintf("refused `%s`%s", d.Command, dashed(d.Reason))
	}
	if d.ConfirmedBy == journal.ByOperator && d.Expect != "" {
		return fmt.Sprintf("`%s` confirmed by the operator, typing `%s`", d.Command, d.Expect)
	}
	return fmt.Sprintf("`%s` confirmed by %s", d.Command, orDash(d.ConfirmedBy))
}

// flags lists the walk's flags as they were given.
func flags(d journal.IncidentStart) string {
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{{d.Yes, "--yes"}, {d.Force, "--force"}, {d.DryRun, "--dry-run"}} {
		if f.on {
			out = append(out, f.name)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; " + strings.Join(out, " ")
}

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (`" + s + "`)"
}

func updated(at string) string {
	if t, err := time.Parse(time.RFC3339Nano, at); err == nil && at != "" {
		return ", updated " + hm(t)
	}
	return ""
}

// paged says what a page named: its machines, and the op of the first
// since when ("checks" when the checks signature alone raised it).
func paged(p journal.Page) string {
	var parts []string
	if len(p.Machines) > 0 {
		parts = append(parts, "machines "+strings.Join(p.Machines, ", "))
	}
	if p.Op != "" {
		op := p.Op
		if t, err := time.Parse(time.RFC3339, p.Since); err == nil {
			op += " since " + hm(t)
		}
		parts = append(parts, op)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// headline is a page's title and first sentence: a page may run to many lines.
func headline(s string) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", 3)
	return strings.Join(lines[:min(2, len(lines))], ": ")
}

func inDir(dir string) string {
	if dir != "" {
		return ", in " + dir
	}
	return ""
}

func evidenceTime(e incident.At[journal.Evidence]) string {
	if t, err := time.Parse(time.RFC3339Nano, e.Data.Timestamp); err == nil && e.Data.Timestamp != "" {
		return hm(t)
	}
	return hm(e.TS)
}

func runningFor(d journal.Evidence) string {
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

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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

// nextStep is the incident's last advice, while it is still to be taken.
func (p *pm) nextStep() advice.Advice {
	if p.v.Final == verdict.Recovered {
		return advice.Advice{}
	}
	return p.v.End.Advice()
}
