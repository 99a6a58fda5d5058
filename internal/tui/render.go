package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// Fallback size until the terminal reports its own.
const defaultWidth, defaultHeight = 80, 24

func (m Model) size() (int, int) {
	w, h := m.width, m.height
	if w <= 0 {
		w = defaultWidth
	}
	if h <= 0 {
		h = defaultHeight
	}
	return w, h
}

// Render returns the screen content. It is pure, so tests can golden it.
// Under a colourless profile (NO_COLOR, Ascii, not a terminal) it carries
// no escape codes at all: the glyphs say what colour would.
func (m Model) Render() string {
	w, h := m.size()
	top := m.topLines(w)
	bottom := m.footerLines(w)
	panelH := max(0, h-len(top)-len(bottom))
	panel := m.panelLines(w, panelH)
	if len(panel) > panelH {
		panel = panel[:panelH]
	}
	for len(panel) < panelH {
		panel = append(panel, "")
	}
	lines := append(append(top, panel...), bottom...)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "…")
	}
	out := strings.Join(lines, "\n")
	switch {
	case m.profile <= colorprofile.Ascii:
		return ansi.Strip(out)
	case m.profile < colorprofile.TrueColor:
		var b strings.Builder
		cw := colorprofile.Writer{Forward: &b, Profile: m.profile}
		_, _ = cw.WriteString(out)
		return b.String()
	}
	return out
}

// topLines: the header, the four phases and a rule.
func (m Model) topLines(w int) []string {
	s := m.styles
	left := s.Header.Render("jpops · " + orDash(m.run.app) + " · " + m.rb.Name)
	// The DRILL badge must survive any width; the incident id goes first.
	badge := ""
	if m.drill() {
		text := "[DRILL]"
		if m.opts.Scenario != "" {
			text = "[DRILL " + m.opts.Scenario + "]"
		}
		badge = s.Badge.Render(text)
	}
	right := badge
	if inc := m.run.incident; inc != "" {
		withInc := s.Muted.Render(inc)
		if badge != "" {
			withInc += "  " + badge
		}
		if ansi.StringWidth(left)+ansi.StringWidth(withInc)+1 <= w {
			right = withInc
		}
	}
	lines := []string{spread(left, right, w)}
	for i, p := range m.run.phases {
		lines = append(lines, m.phaseLine(i, p, w))
	}
	return append(lines, s.Rule.Render(strings.Repeat("─", w)))
}

func (m Model) drill() bool { return m.opts.Drill || m.run.mode == "drill" }

func (m Model) phaseLine(i int, p phase, w int) string {
	glyph, title, right := m.phaseMark(i, p)
	return spread(" "+glyph+" "+title, right, w)
}

// phaseMark is a phase's glyph, title and state as the phase list shows
// them; the state carries the phase's whole reason, which the list may cut
// and the detail view wraps.
func (m Model) phaseMark(i int, p phase) (glyph, title, right string) {
	s := m.styles
	title = fmt.Sprintf("%d. %s", i+1, p.title)
	switch {
	case m.done && p.state == stateRunning:
		// The walk ended while this phase ran: it is stopped, not running.
		glyph = s.Fail.Render("■")
		right = s.Fail.Render("stopped " + dur(m.run.lastTS.Sub(p.started).Seconds()))
	case m.done && p.state != statePassed && p.state != stateFailed && p.state != stateSkipped:
		glyph = s.Muted.Render("–")
		title = s.Muted.Render(title)
		right = s.Muted.Render("not run")
	case p.state == stateRunning:
		glyph = m.spin.View()
		title = s.Bold.Render(title)
		right = s.Running.Render("running " + dur(m.clock().Sub(p.started).Seconds()))
	case p.state == statePassed && endsWalk(p):
		// A phase that found HEALTHY or NOT_THIS_INCIDENT did its job, but
		// nothing "passed": it says what it found, in that verdict's colour.
		v := p.data.verdicts[len(p.data.verdicts)-1].verdict
		glyph = m.verdictStyle(v).Render(verdictGlyph(v))
		right = m.verdictStyle(v).Render(v) + s.Muted.Render(" "+dur(p.ended.Sub(p.started).Seconds()))
	case p.state == statePassed:
		glyph = s.OK.Render("✓")
		right = s.OK.Render("passed") + s.Muted.Render(" "+dur(p.ended.Sub(p.started).Seconds()))
	case p.state == stateFailed:
		glyph = s.Fail.Render("✗")
		right = s.Fail.Render(withReason("failed", p.reason))
	case p.state == stateSkipped:
		glyph = s.Muted.Render("–")
		title = s.Muted.Render(title)
		right = s.Muted.Render(withReason("skipped", p.reason))
	default:
		glyph = s.Muted.Render("·")
		title = s.Muted.Render(title)
		right = s.Muted.Render("pending")
	}
	return glyph, title, right
}

// endsWalk reports whether the phase's last verdict ends the walk without
// the escape path: the app is healthy, or this is another incident.
func endsWalk(p phase) bool {
	if len(p.data.verdicts) == 0 {
		return false
	}
	v := verdict.Verdict(p.data.verdicts[len(p.data.verdicts)-1].verdict)
	return v == verdict.Healthy || v == verdict.NotThisIncident
}

func withReason(state, reason string) string {
	if reason == "" {
		return state
	}
	return state + ": " + reason
}

// footerLines: the status line and the help.
func (m Model) footerLines(w int) []string {
	s := m.styles
	status := ""
	switch {
	case m.confirmQuit && m.run.deploying():
		status = s.Warn.Render("flyctl is deploying. Quit and send Ctrl-C to flyctl? (y/N)")
	case m.confirmQuit:
		status = s.Warn.Render("The walk is running. Stop it here (jpops resume goes on later)? (y/N)")
	case m.status != "":
		status = s.Muted.Render(m.status)
	case m.done:
		status = s.Bold.Render("press enter or q to exit")
	}
	var helpText string
	switch {
	case m.details && m.gate.active:
		helpText = m.help.ShortHelpView([]key.Binding{m.keys.Scroll, m.keys.PageDown,
			key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab/esc", "back to the gate"))})
	case m.details && !m.confirmQuit:
		helpText = m.help.ShortHelpView([]key.Binding{m.keys.Scroll, m.keys.PageDown, m.keys.Close, m.keys.Quit})
	case m.gate.active:
		helpText = m.help.ShortHelpView([]key.Binding{m.keys.Confirm, m.keys.Refuse, m.keys.GateDetails})
	case m.confirmQuit && m.run.deploying():
		helpText = m.help.ShortHelpView([]key.Binding{
			key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "quit and send Ctrl-C")),
			key.NewBinding(key.WithKeys("n"), key.WithHelp("any key", "keep deploying")),
		})
	case m.confirmQuit:
		helpText = m.help.ShortHelpView([]key.Binding{
			key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "stop the walk")),
			key.NewBinding(key.WithKeys("n"), key.WithHelp("any key", "keep going")),
		})
	default:
		helpText = m.help.View(m.keys)
	}
	return append([]string{status}, strings.Split(helpText, "\n")...)
}

// panelLines is the body: the current phase, or the result once done.
func (m Model) panelLines(w, h int) []string {
	if m.details {
		return m.detailWindow(w, h)
	}
	if m.done {
		lines := m.donePanel(w, h)
		if len(lines) > h && h > 1 {
			more := len(lines) - h + 1
			lines = append(lines[:h-1], m.styles.Muted.Render(fmt.Sprintf("  … %d more lines: d shows everything", more)))
		}
		return lines
	}
	retries := m.retryLines(w)
	if m.run.current < 0 {
		return append(retries, " "+m.spin.View()+" waiting for the engine to start the runbook…")
	}
	p := m.run.phases[m.run.current]
	return append(retries, panelOf(p.id)(m, p, w, h-len(retries), false)...)
}

// retryLines: the Fly API calls being retried now, which attempt failed
// and why, and when the next one goes; the newest two, and how many more.
func (m Model) retryLines(w int) []string {
	if len(m.retries) == 0 {
		return nil
	}
	s := m.styles
	var lines []string
	shown := m.retries[max(0, len(m.retries)-2):]
	for _, r := range shown {
		next := r.Wait - m.clock().Sub(r.at)
		text := fmt.Sprintf("%s: %s; attempt %d of %d failed, next in %s", r.Call, r.Reason, r.Attempt, r.Max, dur(max(next, 0).Seconds()))
		if next < time.Second {
			text = fmt.Sprintf("%s: %s; attempt %d of %d failed, asking again", r.Call, r.Reason, r.Attempt, r.Max)
		}
		for _, l := range hang(" ↻ ", text, w) {
			lines = append(lines, s.Warn.Render(l))
		}
	}
	if more := len(m.retries) - len(shown); more > 0 {
		lines = append(lines, s.Warn.Render(fmt.Sprintf("   and %d more calls being retried", more)))
	}
	return lines
}

// detailLines: the first of the runbook's don'ts for the phase, the one
// that costs an outage; the detail view (d) has its why, do and don't.
func (m Model) detailLines(p phase, _ int) []string {
	if dont := m.rb.Phase(p.id).Dont; len(dont) > 0 {
		return []string{m.styles.Warn.Render(" ✗ " + dont[0]), ""}
	}
	return nil
}

// runbookLines: the runbook's why, do and don't for the phase, wrapped.
func (m Model) runbookLines(p phase, w int) []string {
	s := m.styles
	rp := m.rb.Phase(p.id)
	var lines []string
	if rp.Why != "" {
		lines = append(lines, wrapIndent(strings.TrimSpace(rp.Why), " ", w)...)
	}
	for _, d := range rp.Do {
		lines = append(lines, hang(s.OK.Render(" ✓ "), d, w)...)
	}
	for _, d := range rp.Dont {
		for _, l := range hang(" ✗ ", d, w) {
			lines = append(lines, s.Warn.Render(l))
		}
	}
	return lines
}

func (m Model) machineLines(ms []machine) []string {
	if len(ms) == 0 {
		return []string{" " + m.spin.View() + " listing machines…"}
	}
	s := m.styles
	lines := []string{s.Muted.Render(fmt.Sprintf("   %-14s  %-6s  %-9s  %-6s  %-18s  %s", "ID", "REGION", "STATE", "CHECKS", "IMAGE", "SIGNATURE"))}
	for _, mc := range ms {
		mark, sig := "  ", ""
		if mc.signature {
			mark = s.Signature.Render("◆ ")
			sig = s.Signature.Render("hung")
			if mc.since > 0 {
				sig = s.Signature.Render("hung " + dur(mc.since))
			}
		}
		checks := fmt.Sprintf("%d/%d", mc.passing, mc.total)
		row := fmt.Sprintf("%-14s  %-6s  %-9s  %-6s  %-18s", mc.id, mc.region, mc.state, checks, ansi.Truncate(shortImage(mc.image), 18, "…"))
		lines = append(lines, " "+mark+row+"  "+sig)
	}
	return lines
}

func (m Model) evidenceLines(ev []evidence) []string {
	if len(ev) == 0 {
		return []string{" " + m.spin.View() + " reading boot logs…"}
	}
	s := m.styles
	var lines []string
	for _, e := range ev {
		head := e.op
		if e.db != "" {
			head += " on " + e.db
		}
		if e.completed {
			head = s.OK.Render(" ✓ ") + head + s.Muted.Render(" · completed")
		} else {
			head = s.Signature.Render(" ◆ "+head) + s.Muted.Render(" · running "+dur(e.runningFor))
		}
		if e.machine != "" {
			head += s.Muted.Render(" · " + e.machine)
		}
		lines = append(lines, head)
		if e.line != "" {
			lines = append(lines, s.Muted.Render("   │ "+e.line))
		}
	}
	return lines
}

// escapeParts: what stands above and below the flyctl output window.
// before[keep:] is the command and the gate: a panel too short for
// everything cuts the lines above them, never them.
func (m Model) escapeParts(p phase, w int, compactGate bool) (before, after []string, keep int) {
	s := m.styles
	before = m.detailLines(p, w)
	for _, c := range p.data.checks {
		before = append(before, m.checkLines(c, w)...)
	}
	if m.gate.active {
		// At the moment of decision, the evidence the deploy rests on.
		before = append(before, m.gateEvidence(w)...)
	}
	keep = len(before)
	if cmd := m.run.cmd.argv; cmd != "" {
		// The command being confirmed is shown whole, at any width.
		for _, l := range wrapCommand(" $ ", cmd, w) {
			before = append(before, s.Command.Render(l))
		}
		if dir := firstNonEmpty(m.run.cmd.dir, m.gate.dir); dir != "" {
			for _, l := range hang("   in ", dir, w) {
				before = append(before, s.Muted.Render(l))
			}
		}
	}
	switch {
	case m.gate.active:
		before = append(before, m.gateLines(w, compactGate)...)
	case m.gate.answered && m.gate.confirmed:
		before = append(before, s.OK.Render(" ✓ confirmed at the gate"))
	case m.gate.answered:
		before = append(before, s.Fail.Render(" ✗ refused at the gate: the run ends ABORTED"))
	}
	// One line heads the output in every state, so scrolling never moves
	// the layout.
	if m.run.cmd.started || len(m.run.output) > 0 {
		head := s.Muted.Render(" flyctl output")
		if m.run.deploying() {
			head = " " + m.spin.View() + s.Running.Render(" deploying…")
			// A build can print nothing for minutes: say so, so a quiet
			// flyctl does not read as a frozen screen.
			if quiet := m.clock().Sub(m.run.lastOutput); !m.run.lastOutput.IsZero() && quiet >= quietAfter {
				head += s.Muted.Render(" · flyctl quiet for " + dur(quiet.Seconds()))
			}
		}
		if m.scrollBack > 0 {
			head += s.Muted.Render(fmt.Sprintf("  ↓ %d more lines below · end follows", m.scrollBack))
		}
		before = append(before, head)
	}
	if c := m.run.cmd; c.exited {
		if c.code == 0 && c.errMsg == "" {
			line := s.OK.Render(" ✓ flyctl exited 0")
			if c.image != "" {
				line += s.Muted.Render(" · image ") + c.image
			}
			after = append(after, line)
			if c.digest != "" {
				after = append(after, s.Muted.Render("   digest ")+c.digest)
			}
		} else {
			for _, l := range hang(fmt.Sprintf(" ✗ flyctl exited %d: ", c.code), exitSummary(c.errMsg), w) {
				after = append(after, s.Fail.Render(l))
			}
		}
	}
	after = append(after, m.commonLines(p)...)
	return before, after, keep
}

// quietAfter is how long flyctl may print nothing before the screen says so.
const quietAfter = 5 * time.Second

// exitSummary is flyctl's failure as the panel shows it: the first line
// and the error lines it quotes; the detail view has every line.
func exitSummary(errMsg string) string {
	lines := strings.Split(errMsg, "\n")
	if len(lines) <= 3 {
		return errMsg
	}
	keep := append([]string{lines[0]}, errorLines(lines[1:])...)
	if hidden := len(lines) - len(keep); hidden > 0 {
		keep = append(keep, fmt.Sprintf("(%d more lines: d shows them)", hidden))
	}
	return strings.Join(keep, "\n")
}

// gateEvidence: the wedged machines and the boot-log lines that prove the
// hang, with how long each op has run by now.
func (m Model) gateEvidence(w int) []string {
	s := m.styles
	var wedged []string
	if i := m.run.phaseIndex(runbook.PhaseDiagnose); i >= 0 {
		for _, mc := range m.run.phases[i].data.machines {
			if mc.signature {
				wedged = append(wedged, mc.id)
			}
		}
	}
	var lines []string
	if len(wedged) > 0 {
		lines = append(lines, hang(s.Signature.Render(" ◆ ")+fmt.Sprintf("%d wedged: ", len(wedged)), strings.Join(wedged, ", "), w)...)
	}
	i := m.run.phaseIndex(runbook.PhaseBootlogs)
	if i < 0 {
		return lines
	}
	p := m.run.phases[i]
	since := 0.0
	if !p.ended.IsZero() && m.clock().After(p.ended) {
		since = m.clock().Sub(p.ended).Seconds()
	}
	for _, e := range p.data.evidence {
		if e.completed {
			continue
		}
		head := fmt.Sprintf("%s · %s on %s · running %s", orDash(e.machine), e.op, orDash(e.db), dur(e.runningFor+since))
		lines = append(lines, hang(s.Signature.Render(" ◆ "), head, w)...)
		if e.line != "" {
			for _, l := range hang("   │ ", e.line, w) {
				lines = append(lines, s.Muted.Render(l))
			}
		}
	}
	return lines
}

// gateLines is the question at the gate; compact, on a short terminal,
// it keeps only what to type.
func (m Model) gateLines(w int, compact bool) []string {
	s := m.styles
	bar := s.GateBar.Render(" ┃ ")
	g := m.gate
	var lines []string
	add := func(text string) { lines = append(lines, wrapWords(bar, text, w)...) }
	if !compact {
		add(s.Bold.Render("This deploys a new image to every machine of " + orDash(m.run.app) + ", one at a time."))
		add(fmt.Sprintf("Refusing runs nothing and ends the run %s (exit %d).", verdict.Aborted, verdict.Aborted.ExitCode()))
	}
	add("Type " + s.Bold.Render(g.expect) + " and press enter to deploy; esc or \"no\" refuses.")
	lines = append(lines, bar+"> "+m.input.Value()+"█")
	if g.wrong != "" {
		add(s.Fail.Render(fmt.Sprintf("%q is not %s; nothing was run.", g.wrong, g.expect)))
	}
	return lines
}

// outputHeight is the height of the flyctl output window in the escape panel.
func (m Model) outputHeight() int {
	w, h := m.size()
	panelH := h - len(m.topLines(w)) - len(m.footerLines(w))
	p := m.run.phases[m.run.phaseIndex(runbook.PhaseEscape)]
	before, after := m.escapeFit(p, w, panelH)
	return max(1, panelH-len(before)-len(after))
}

// outputWindow shows the flyctl output, following the tail unless the
// operator scrolled back.
func (m Model) outputWindow(h int) []string {
	if h <= 0 || len(m.run.output) == 0 {
		return nil
	}
	end := len(m.run.output) - min(m.scrollBack, len(m.run.output))
	start := max(0, end-h)
	lines := make([]string, 0, end-start)
	for _, l := range m.run.output[start:end] {
		lines = append(lines, m.styles.Muted.Render("   │ ")+l)
	}
	return lines
}

func (m Model) smokeLines(p phase) []string {
	s := m.styles
	// The hold's progress first: what the operator waits for.
	lines := m.holdLines(p)
	if len(lines) > 0 {
		lines = append(lines, "")
	}
	if len(p.data.shown) > 0 {
		return append(lines, m.shownLines(p)...)
	}
	var order []string
	byMachine := map[string][]smokeRow{}
	for _, r := range p.data.smoke {
		if _, ok := byMachine[r.machine]; !ok {
			order = append(order, r.machine)
		}
		byMachine[r.machine] = append(byMachine[r.machine], r)
	}
	w, _ := m.size()
	for _, id := range order {
		rows := byMachine[id]
		allOK := true
		var cells, fails []string
		for _, r := range rows {
			label := r.check
			if r.check == "request" && r.request != "" {
				label = r.request
			}
			if r.ok {
				cells = append(cells, s.OK.Render("✓ ")+label)
			} else {
				allOK = false
				cells = append(cells, s.Fail.Render("✗ "+label))
				if r.detail != "" {
					fails = append(fails, hang(s.Fail.Render("     ✗ "), label+": "+r.detail, w)...)
				}
			}
		}
		mark := s.OK.Render(" ✓ ")
		if !allOK {
			mark = s.Fail.Render(" ✗ ")
		}
		lines = append(lines, hang(mark+fmt.Sprintf("%-14s", orDash(id))+"  ", strings.Join(cells, "  "), w)...)
		lines = append(lines, fails...)
	}
	if len(order) == 0 && p.state == stateRunning {
		lines = append(lines, " "+m.spin.View()+" walking every machine…")
	}
	return lines
}

// shownLines: every machine the smoke walk judges, as it last changed:
// whether it runs the new image, its state, its checks, whether it
// answers, how long it has been good; then what failed, in full.
func (m Model) shownLines(p phase) []string {
	s := m.styles
	w, _ := m.size()
	running := p.state == stateRunning && !m.done
	cell := func(ok bool, text string) string {
		if ok {
			return s.OK.Render("✓ ") + text
		}
		if running {
			return s.Warn.Render("… " + text)
		}
		return s.Fail.Render("✗ " + text)
	}
	var lines []string
	for _, sm := range p.data.shown {
		mark := s.OK.Render(" ✓ ")
		switch {
		case sm.good:
		case running:
			mark = s.Warn.Render(" … ")
		default:
			mark = s.Fail.Render(" ✗ ")
		}
		cells := []string{cell(sm.imageOK, "image")}
		switch sm.requests {
		case "left alone":
			cells = append(cells, s.Muted.Render("· "+orDash(sm.state)+", left alone"))
		default:
			cells = append(cells,
				cell(sm.state == "started", orDash(sm.state)),
				cell(sm.passing == sm.total, fmt.Sprintf("checks %d/%d", sm.passing, sm.total)))
			switch sm.requests {
			case "answered":
				cells = append(cells, cell(true, "answers"))
			case "failing":
				cells = append(cells, cell(false, "answers"))
			default:
				cells = append(cells, s.Muted.Render("· not asked yet"))
			}
		}
		if sm.good && !sm.goodSince.IsZero() {
			cells = append(cells, s.OK.Render("good "+dur(m.clock().Sub(sm.goodSince).Seconds())))
		}
		if sm.region != "" {
			cells = append(cells, s.Muted.Render(sm.region))
		}
		lines = append(lines, wrapCells(mark+fmt.Sprintf("%-14s", sm.id)+"  ", cells, w)...)
		lines = append(lines, m.smokeFailures(p, func(id string) bool { return id == sm.id })...)
	}
	known := map[string]bool{}
	for _, sm := range p.data.shown {
		known[sm.id] = true
	}
	return append(lines, m.smokeFailures(p, func(id string) bool { return !known[id] })...)
}

// smokeFailures: the failed smoke checks of the machines that match, each
// with what it saw, in full.
func (m Model) smokeFailures(p phase, of func(machine string) bool) []string {
	s := m.styles
	w, _ := m.size()
	var lines []string
	for _, r := range p.data.smoke {
		if r.ok || r.detail == "" || !of(r.machine) {
			continue
		}
		label := r.check
		if r.check == "request" && r.request != "" {
			label = r.request
		}
		if !known(p, r.machine) {
			label = orDash(r.machine) + " " + label
		}
		lines = append(lines, hang(s.Fail.Render("     ✗ "), label+": "+r.detail, w)...)
	}
	return lines
}

func known(p phase, machine string) bool {
	for _, sm := range p.data.shown {
		if sm.id == machine {
			return true
		}
	}
	return false
}

// wrapCells lays cells out behind prefix, two spaces apart, starting a new
// line (indented under the prefix) where the next cell would not fit: a
// cell is never split.
func wrapCells(prefix string, cells []string, w int) []string {
	pad := strings.Repeat(" ", ansi.StringWidth(prefix))
	lines := []string{prefix}
	fresh := true
	for _, c := range cells {
		cur := lines[len(lines)-1]
		switch {
		case fresh:
			lines[len(lines)-1] = cur + c
		case ansi.StringWidth(cur)+2+ansi.StringWidth(c) <= w:
			lines[len(lines)-1] = cur + "  " + c
		default:
			lines = append(lines, pad+c)
		}
		fresh = false
	}
	return lines
}

// holdLines: the stability hold's bar, moving every second, or that it
// was met.
func (m Model) holdLines(p phase) []string {
	s := m.styles
	hd := m.run.hold
	if !hd.seen {
		return nil
	}
	if hd.remaining <= 0 {
		return []string{s.OK.Render(" ✓ stability hold: held " + dur(hd.full))}
	}
	elapsed, remaining := m.holdProgress(p)
	frac := 0.0
	if hd.full > 0 {
		frac = math.Min(1, math.Max(0, elapsed/hd.full))
	}
	head := " " + m.spin.View() + " stability hold "
	text := fmt.Sprintf(" %s of %s · %s left", dur(elapsed), dur(hd.full), dur(remaining))
	w, _ := m.size()
	bar := m.bar
	bar.SetWidth(min(24, max(6, w-ansi.StringWidth(head)-ansi.StringWidth(text)-1)))
	return []string{head + bar.ViewAs(frac) + s.Muted.Render(text)}
}

// holdProgress is the hold's elapsed and remaining seconds now: from its
// last journaled mark (every tenth of the hold), run on by the engine's
// clock while the smoke walk runs, so the bar moves every second.
func (m Model) holdProgress(p phase) (elapsed, remaining float64) {
	hd := m.run.hold
	elapsed, remaining = hd.elapsed, hd.remaining
	if p.state != stateRunning || m.done || hd.remaining <= 0 || hd.at.IsZero() {
		return elapsed, remaining
	}
	if since := m.clock().Sub(hd.at).Seconds(); since > 0 {
		elapsed = math.Min(hd.full, hd.elapsed+since)
		remaining = math.Max(0, hd.full-elapsed)
	}
	return elapsed, remaining
}

// commonLines: verdicts, notes and an abort, for any phase.
func (m Model) commonLines(p phase) []string {
	s := m.styles
	var lines []string
	if len(p.data.verdicts) > 0 || len(p.data.notes) > 0 || m.run.abort != "" {
		lines = append(lines, "")
	}
	w, _ := m.size()
	lines = append(lines, m.verdictNoteLines(p, w)...)
	if m.run.abort != "" {
		for _, l := range hang(" ✗ aborted: ", m.run.abort, w) {
			lines = append(lines, s.Fail.Render(l))
		}
	}
	return lines
}

// verdictNoteLines: a phase's verdicts with their reasons and advice, then
// its notes, as the panel and the detail view both show them.
func (m Model) verdictNoteLines(p phase, w int) []string {
	s := m.styles
	var lines []string
	for _, v := range p.data.verdicts {
		lines = append(lines, " → "+m.verdictStyle(v.verdict).Render(v.verdict))
		lines = append(lines, wrapIndent(v.reason, "   ", w)...)
		lines = append(lines, m.adviceLines("   ", v.next, w)...)
	}
	for _, n := range p.data.notes {
		for _, l := range hang(" · ", n, w) {
			lines = append(lines, s.Muted.Render(l))
		}
	}
	return lines
}

func (m Model) checkLines(c check, w int) []string {
	s := m.styles
	mark := s.OK.Render(" ✓ ")
	if !c.ok {
		mark = s.Fail.Render(" ✗ ")
	}
	if c.detail == "" {
		return []string{mark + c.name}
	}
	return hang(mark+c.name+"  ", s.Muted.Render(c.detail), w)
}

func (m Model) donePanel(w, h int) []string {
	lines := m.resultLines(w)
	return append(lines, m.lastPhaseLines(w, h-len(lines))...)
}

// resultLines: how the run ended, why, and what to do next, wrapped.
func (m Model) resultLines(w int) []string {
	s := m.styles
	r := m.result
	v := string(r.Verdict)
	if v == "" {
		v = orDash(m.run.endVerdict)
	}
	head := " " + m.verdictStyle(v).Render(verdictGlyph(v)+" "+v) + s.Muted.Render(fmt.Sprintf("  exit %d", r.ExitCode))
	if m.drill() {
		head += "  " + s.Badge.Render("[DRILL]")
	}
	lines := []string{head}
	if reason := m.finalReason(v); reason != "" {
		lines = append(lines, hang("   ", reason, w)...)
	}
	field := func(name, value string) {
		if value != "" {
			lines = append(lines, hang(s.Muted.Render(fmt.Sprintf("   %-9s", name)), value, w)...)
		}
	}
	field("incident", clean(firstNonEmpty(r.Incident, m.run.incident)))
	field("journal", clean(r.JournalPath))
	if next := clean(r.Next.Command); next != "" {
		lines = append(lines, wrapWords(s.Muted.Render("   next     "), next, w)...)
	}
	if note := clean(r.Next.Note); note != "" {
		lines = append(lines, wrapWords(s.Muted.Render("   note     "), note, w)...)
	}
	if r.Err != nil {
		lines = append(lines, hang(s.Fail.Render("   error    "), clean(r.Err.Error()), w)...)
	}
	if m.run.abort != "" {
		lines = append(lines, hang(s.Fail.Render("   aborted  "), m.run.abort, w)...)
	}
	return lines
}

// lastPhaseLines shows, under the result, what the last phase saw: the
// evidence behind the verdict.
func (m Model) lastPhaseLines(w, h int) []string {
	if m.run.current < 0 || h < 3 {
		return nil
	}
	s := m.styles
	p := m.run.phases[m.run.current]
	lines := []string{"", s.Muted.Render(fmt.Sprintf(" %d. %s", m.run.current+1, p.title))}
	return append(lines, panelOf(p.id)(m, p, w, h-len(lines), true)...)
}

// A panel draws one phase's own part of the screen in h lines of width w:
// what the phase saw, live (end false) and under the result on the end
// screen (end true), where the runbook's text is left out.
type panel func(m Model, p phase, w, h int, end bool) []string

// panels holds one panel per runbook phase.
var panels = map[string]panel{
	runbook.PhaseDiagnose: listPanel(func(m Model, p phase) []string { return m.machineLines(p.data.machines) }),
	runbook.PhaseBootlogs: listPanel(func(m Model, p phase) []string { return m.evidenceLines(p.data.evidence) }),
	runbook.PhaseEscape:   Model.escapePanel,
	runbook.PhaseSmoke:    listPanel(Model.smokeLines),
}

func panelOf(id string) panel {
	if pn, ok := panels[id]; ok {
		return pn
	}
	return listPanel(func(Model, phase) []string { return nil })
}

// listPanel is a panel of lines: live, the runbook's text, what the phase
// saw and the lines every phase has, cut to h with a note of what is below.
func listPanel(seen func(m Model, p phase) []string) panel {
	return func(m Model, p phase, w, h int, end bool) []string {
		if end {
			return seen(m, p)
		}
		lines := append(m.detailLines(p, w), seen(m, p)...)
		lines = append(lines, m.commonLines(p)...)
		if len(lines) > h && h > 0 {
			more := len(lines) - h + 1
			lines = append(lines[:h-1], m.styles.Muted.Render(fmt.Sprintf("  … %d more lines: d shows everything", more)))
		}
		return lines
	}
}

// escapePanel is phase 3's: the checks, the command and the gate around a
// window of flyctl's output. Live, a panel too tall loses its top (the
// runbook's advice, the checks that passed), never the command or the gate
// at the bottom; on the end screen only the failed checks are shown.
func (m Model) escapePanel(p phase, w, h int, end bool) []string {
	if end {
		before, after, _ := m.escapeParts(phase{id: p.id, data: phaseData{checks: failedChecks(p.data.checks)}}, w, false)
		before = before[min(len(before), len(m.detailLines(p, w))):] // no runbook text here
		return append(append(before, m.outputWindow(h-len(before)-len(after))...), after...)
	}
	before, after := m.escapeFit(p, w, h)
	outH := max(0, h-len(before)-len(after))
	lines := append(append(before, m.outputWindow(outH)...), after...)
	if len(lines) > h && h > 0 && m.gate.active {
		// Too short even for the command and the gate: keep their end, where
		// the operator types.
		lines = lines[len(lines)-h:]
	}
	return lines
}

// escapeFit is escapeParts for a panel of h lines. Live, a panel too tall
// loses its top (the runbook's advice, the checks, the evidence), never
// the command or the gate; on a short terminal the gate keeps only what to
// type.
func (m Model) escapeFit(p phase, w, h int) (before, after []string) {
	before, after, keep := m.escapeParts(p, w, false)
	if len(before)-keep+len(after) >= h && m.gate.active {
		before, after, keep = m.escapeParts(p, w, true)
	}
	if over := len(before) + len(after) - h; over > 0 && h > 1 && keep > 0 {
		cut := min(over+1, keep)
		hint := m.styles.Muted.Render(fmt.Sprintf("  ↑ %d lines above: %s", cut, m.detailHint()))
		if cut == keep && over+1 > keep {
			hint = "" // no room even for the hint
		}
		rest := before[cut:]
		before = rest
		if hint != "" {
			before = append([]string{hint}, rest...)
		}
	}
	return before, after
}

// detailHint says how to read what the screen cut.
func (m Model) detailHint() string {
	if m.gate.active {
		return "tab shows everything"
	}
	return "d shows everything"
}

// wrapCommand wraps a command line at its spaces only, so no argument is
// split across lines (an argument wider than the line is, at its width).
func wrapCommand(prefix, cmd string, w int) []string { return wrapWords(prefix, cmd, w) }

// wrapWords wraps plain-spaced text behind prefix at spaces only, the
// lines after the first indented under it; a word wider than the line is
// broken at the line's width.
func wrapWords(prefix, text string, w int) []string {
	if w <= 0 {
		w = defaultWidth
	}
	pw := ansi.StringWidth(prefix)
	width := max(10, w-pw)
	pad := strings.Repeat(" ", pw)
	var out []string
	line := ""
	flush := func() {
		lead := pad
		if len(out) == 0 {
			lead = prefix
		}
		out = append(out, lead+line)
		line = ""
	}
	for _, word := range strings.Fields(text) {
		for ansi.StringWidth(word) > width {
			if line != "" {
				flush()
			}
			line = ansi.Truncate(word, width, "")
			word = ansi.TruncateLeft(word, width, "")
			flush()
		}
		switch {
		case word == "":
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= width:
			line += " " + word
		default:
			flush()
			line = word
		}
	}
	if line != "" || len(out) == 0 {
		flush()
	}
	return out
}

func failedChecks(cs []check) []check {
	var out []check
	for _, c := range cs {
		if !c.ok {
			out = append(out, c)
		}
	}
	return out
}

// finalReason is the reason of the last verdict the engine gave for v.
func (m Model) finalReason(v string) string {
	for i := len(m.run.phases) - 1; i >= 0; i-- {
		vs := m.run.phases[i].data.verdicts
		for j := len(vs) - 1; j >= 0; j-- {
			if vs[j].verdict == v {
				return vs[j].reason
			}
		}
	}
	return ""
}

func (m Model) verdictStyle(v string) lipgloss.Style {
	switch verdict.Verdict(v) {
	case verdict.Healthy, verdict.Recovered:
		return m.styles.OK.Bold(true)
	case verdict.HangConfirmed, verdict.Inconclusive:
		return m.styles.Signature
	}
	return m.styles.Fail
}

func verdictGlyph(v string) string {
	switch verdict.Verdict(v) {
	case verdict.Healthy, verdict.Recovered:
		return "✓"
	case verdict.HangConfirmed, verdict.Inconclusive:
		return "◆"
	}
	return "✗"
}

// wrapIndent wraps plain text to width w (the default when unknown), each
// line behind indent. The verdict's reason is too important to cut.
func wrapIndent(text, indent string, w int) []string {
	if text == "" {
		return nil
	}
	if w <= 0 {
		w = defaultWidth
	}
	wrapped := lipgloss.NewStyle().Width(max(10, w-ansi.StringWidth(indent))).Render(text)
	var out []string
	for _, l := range strings.Split(wrapped, "\n") {
		out = append(out, indent+strings.TrimRight(l, " "))
	}
	return out
}

// hang wraps text to width w behind prefix, the lines after the first
// indented under it: what the operator must read is wrapped, never cut.
func hang(prefix, text string, w int) []string {
	if w <= 0 {
		w = defaultWidth
	}
	pw := ansi.StringWidth(prefix)
	wrapped := ansi.Wrap(text, max(10, w-pw), " /-")
	pad := strings.Repeat(" ", pw)
	var out []string
	for i, l := range strings.Split(wrapped, "\n") {
		if i == 0 {
			out = append(out, prefix+strings.TrimRight(l, " "))
			continue
		}
		out = append(out, pad+strings.TrimRight(l, " "))
	}
	return out
}

// spread puts left and right on one line of width w. When they do not fit,
// a right side wider than half the line is cut first, then the left.
func spread(left, right string, w int) string {
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if right == "" {
		return ansi.Truncate(left, w, "…")
	}
	if lw+rw+1 > w && rw > w/2 {
		right = ansi.Truncate(right, max(w/2, w-lw-1), "…")
		rw = ansi.StringWidth(right)
	}
	if lw+rw+1 > w {
		left = ansi.Truncate(left, max(0, w-rw-1), "…")
		lw = ansi.StringWidth(left)
	}
	return left + strings.Repeat(" ", max(1, w-lw-rw)) + right
}

// shortImage keeps the tag of an image reference (registry.fly.io/app:tag → tag).
func shortImage(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// dur formats seconds as 31m12s; event data and timestamps, never the wall clock.
func dur(sec float64) string {
	if sec <= 0 || math.IsNaN(sec) || math.IsInf(sec, 0) {
		return "0s"
	}
	if sec > 1e9 {
		sec = 1e9
	}
	return time.Duration(sec * float64(time.Second)).Round(time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
