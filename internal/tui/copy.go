package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/jpops-dev/jpops/internal/advice"
)

// Advice ("next") is data: a command, and apart from it a note. `c` copies
// the command, and only when advice.Check finds it safe to paste (read-only,
// or a jpops command with its own gate; never a deploy, never --yes). The
// note is shown, never copied.

// copyNext copies the latest advice's command, or says why nothing was.
func (m Model) copyNext() (Model, tea.Cmd) {
	next, current := m.latestAdvice()
	if !current {
		m.status = "nothing to copy: the run went on past its last advice; the next step comes when it ends"
		return m, nil
	}
	command, err := next.Paste()
	if err != nil {
		m.status = "nothing to copy: " + err.Error()
		return m, nil
	}
	m.status = "copied: " + command
	return m, tea.SetClipboard(command)
}

// latestAdvice is the run's last word on what to do next: the end's once
// the run is done, else the latest verdict's. An earlier verdict's advice
// no longer holds once a later one is in, nor once the run has gone on to
// a later phase (phase 2's "jpops run" while this run deploys): current
// is false then.
func (m Model) latestAdvice() (next advice.Advice, current bool) {
	if m.done {
		return m.result.Next.Map(clean), true
	}
	for i := len(m.run.phases) - 1; i >= 0; i-- {
		if vs := m.run.phases[i].data.verdicts; len(vs) > 0 {
			return vs[len(vs)-1].next, m.run.current <= i
		}
	}
	return advice.Advice{}, true
}

// adviceLines are the two lines of a next step, each wrapped under its
// label: the command ("next") and the note ("note"), either left out when
// empty, so the screen never runs one into the other.
func (m Model) adviceLines(indent string, a advice.Advice, w int) []string {
	var lines []string
	if a.Command != "" {
		lines = append(lines, wrapCommand(m.styles.Muted.Render(indent+"next: "), a.Command, w)...)
	}
	if a.Note != "" {
		lines = append(lines, hang(m.styles.Muted.Render(indent+"note: "), a.Note, w)...)
	}
	return lines
}
