package tui

import (
	"fmt"
	"strings"
)

// Summary is the plain text the CLI prints on the normal screen after the
// program exits, so the scrollback keeps the outcome. It has no escape codes.
func Summary(m Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "jpops · %s · %s", orDash(m.run.app), m.rb.Name)
	if m.drill() {
		b.WriteString(" [DRILL]")
	}
	b.WriteString("\n")
	line := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "  %-9s %s\n", name+":", value)
		}
	}
	if m.done {
		r := m.result
		v := string(r.Verdict)
		if v == "" {
			v = orDash(m.run.endVerdict)
		}
		line("verdict", fmt.Sprintf("%s (exit %d)", v, r.ExitCode))
		line("reason", m.finalReason(v))
		line("incident", clean(firstNonEmpty(r.Incident, m.run.incident)))
		line("journal", clean(r.JournalPath))
		line("next", clean(r.Next.Command))
		line("note", clean(r.Next.Note))
		if r.Err != nil {
			line("error", clean(r.Err.Error()))
		}
	} else {
		line("verdict", "none: the UI was closed before the run finished")
		line("incident", clean(m.run.incident))
	}
	return b.String()
}
