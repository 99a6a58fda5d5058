package tui

import (
	"fmt"
	"strings"

	"github.com/jpops-dev/jpops/runbook"
)

// The detail view (d; tab at the gate, where letters are typed) is the
// whole run so far, nothing cut: the result and its next step, the runbook's
// advice for the phase under way, then every phase with its full reason,
// every machine, every evidence line, the deploy and flyctl's error lines,
// every smoke check, verdict and note, wrapped to the width, scrolled with
// the arrows. It opens on every screen, the end screen included.

// detailWindow is the part of the detail view that fits in h lines, from
// the operator's scroll position, under a line saying where that is.
func (m Model) detailWindow(w, h int) []string {
	if h <= 0 {
		return nil
	}
	doc := m.detailDoc(w)
	bodyH := max(1, h-1)
	top := min(max(m.detailTop, 0), max(0, len(doc)-bodyH))
	end := min(len(doc), top+bodyH)
	where := fmt.Sprintf(" · lines %d–%d of %d", top+1, end, len(doc))
	if len(doc) <= bodyH {
		where = " · all of it"
	}
	lines := []string{m.styles.Bold.Render(" details") + m.styles.Muted.Render(where)}
	return append(lines, doc[top:end]...)
}

// detailBodyHeight is how many lines of the detail view the screen shows.
func (m Model) detailBodyHeight() int {
	w, h := m.size()
	return max(1, h-len(m.topLines(w))-len(m.footerLines(w))-1)
}

// scrollDetails moves the detail view by n lines (down when positive),
// within the document.
func (m *Model) scrollDetails(n int) {
	w, _ := m.size()
	limit := max(0, len(m.detailDoc(w))-m.detailBodyHeight())
	m.detailTop = min(max(m.detailTop+n, 0), limit)
}

func (m Model) detailDoc(w int) []string {
	s := m.styles
	lines := m.retryLines(w)
	if m.done {
		lines = append(m.resultLines(w), "")
	}
	if !m.done {
		i := max(m.run.current, 0)
		p := m.run.phases[i]
		if rb := m.runbookLines(p, w); len(rb) > 0 {
			lines = append(lines, s.Muted.Render(fmt.Sprintf(" the runbook on phase %d", i+1)))
			lines = append(append(lines, rb...), "")
		}
	}
	for i, p := range m.run.phases {
		glyph, title, right := m.phaseMark(i, p)
		lines = append(lines, hang(" "+glyph+" ", title, w)...)
		lines = append(lines, hang("   ", right, w)...)
		if p.reason != "" && !strings.Contains(right, p.reason) {
			lines = append(lines, hang("   ", p.reason, w)...)
		}
		lines = append(lines, m.phaseDetail(p, w)...)
		lines = append(lines, "")
	}
	if m.run.abort != "" {
		for _, l := range hang(" ✗ aborted: ", m.run.abort, w) {
			lines = append(lines, s.Fail.Render(l))
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// phaseDetail is everything one phase saw, untruncated.
func (m Model) phaseDetail(p phase, w int) []string {
	s := m.styles
	var lines []string
	for _, mc := range p.data.machines {
		row := fmt.Sprintf("%s  %s  %s  checks %d/%d  image %s", mc.id, orDash(mc.region), orDash(mc.state), mc.passing, mc.total, orDash(mc.image))
		mark := "   "
		if mc.signature {
			mark = s.Signature.Render(" ◆ ")
			row += "  hung"
			if mc.since > 0 {
				row += " " + dur(mc.since)
			}
		}
		lines = append(lines, hang(mark, row, w)...)
	}
	for _, e := range p.data.evidence {
		head := orDash(e.machine) + " · " + e.op
		if e.db != "" {
			head += " on " + e.db
		}
		mark := s.Signature.Render(" ◆ ")
		if e.completed {
			mark, head = s.OK.Render(" ✓ "), head+" · completed"
		} else {
			head += " · running " + dur(e.runningFor)
		}
		lines = append(lines, hang(mark, head, w)...)
		if e.line != "" {
			for _, l := range hang("   │ ", e.line, w) {
				lines = append(lines, s.Muted.Render(l))
			}
		}
	}
	for _, c := range p.data.checks {
		lines = append(lines, m.checkLines(c, w)...)
	}
	if p.id == runbook.PhaseEscape {
		lines = append(lines, m.deployDetail(w)...)
	}
	for _, sm := range p.data.shown {
		mark, good := s.OK.Render(" ✓ "), "good"
		if !sm.good {
			mark, good = s.Fail.Render(" ✗ "), "not good"
		} else if !sm.goodSince.IsZero() {
			good += " for " + dur(m.clock().Sub(sm.goodSince).Seconds())
		}
		image := "runs the deployed image"
		if !sm.imageOK {
			image = "does not run the deployed image"
		}
		requests := sm.requests
		if requests == "" {
			requests = "not asked yet"
		}
		text := fmt.Sprintf("%s  %s  %s  checks %d/%d  %s %s  requests %s  %s (%s)",
			sm.id, orDash(sm.region), orDash(sm.state), sm.passing, sm.total, image, orDash(sm.image), requests, good, orDash(sm.stage))
		lines = append(lines, hang(mark, text, w)...)
	}
	for _, r := range p.data.smoke {
		label := r.check
		if r.request != "" {
			label += " " + r.request
		}
		mark := s.OK.Render(" ✓ ")
		if !r.ok {
			mark = s.Fail.Render(" ✗ ")
		}
		text := orDash(r.machine) + " " + label
		if r.detail != "" {
			text += ": " + r.detail
		}
		lines = append(lines, hang(mark, text, w)...)
	}
	if p.id == runbook.PhaseSmoke {
		if hd := m.run.hold; hd.seen {
			elapsed, remaining := m.holdProgress(p)
			text := fmt.Sprintf("stability hold: %s of %s, %s left", dur(elapsed), dur(hd.full), dur(remaining))
			if hd.remaining <= 0 {
				text = "stability hold: held " + dur(hd.full)
			}
			lines = append(lines, hang(" · ", text, w)...)
		}
	}
	lines = append(lines, m.verdictNoteLines(p, w)...)
	return lines
}

// deployDetail: the command whole, where it ran, the gate's answer, how
// flyctl ended and every error line it printed.
func (m Model) deployDetail(w int) []string {
	s := m.styles
	c := m.run.cmd
	var lines []string
	if c.argv != "" {
		for _, l := range wrapCommand(" $ ", c.argv, w) {
			lines = append(lines, s.Command.Render(l))
		}
		if dir := firstNonEmpty(c.dir, m.gate.dir); dir != "" {
			lines = append(lines, hang(s.Muted.Render("   in "), dir, w)...)
		}
	}
	switch {
	case m.gate.active:
		lines = append(lines, s.Warn.Render(" ┃ waiting at the gate: tab goes back to it"))
	case m.gate.answered && m.gate.confirmed:
		lines = append(lines, s.OK.Render(" ✓ confirmed at the gate"))
	case m.gate.answered:
		lines = append(lines, s.Fail.Render(" ✗ refused at the gate"))
	}
	if c.exited {
		head := fmt.Sprintf(" flyctl exited %d", c.code)
		if c.code == 0 && c.errMsg == "" {
			lines = append(lines, s.OK.Render(" ✓"+head))
		} else {
			lines = append(lines, s.Fail.Render(" ✗"+head))
		}
		if c.image != "" {
			lines = append(lines, hang(s.Muted.Render("   image  "), c.image, w)...)
		}
		if c.digest != "" {
			lines = append(lines, hang(s.Muted.Render("   digest "), c.digest, w)...)
		}
		for _, l := range strings.Split(c.errMsg, "\n") {
			if l != "" {
				lines = append(lines, hang("   │ ", l, w)...)
			}
		}
	}
	if c.errMsg == "" { // flyctl's error quotes its last output; else the output's error lines
		for _, l := range errorLines(m.run.output) {
			lines = append(lines, hang(s.Fail.Render("   │ "), l, w)...)
		}
	}
	return lines
}

// errorLines are flyctl's output lines that report an error.
func errorLines(output []string) []string {
	var out []string
	for _, l := range output {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "Error") || strings.Contains(t, " ERROR") || strings.HasPrefix(t, "error") {
			out = append(out, t)
		}
	}
	return out
}
