package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// styles holds every style the UI draws with, built in one place from the
// terminal's background so both dark and light terminals stay readable.
// Glyphs (✓ ✗ ◆ [DRILL]) carry the meaning; colour only reinforces it, so
// the screen still reads under NO_COLOR.
type styles struct {
	Header    lipgloss.Style
	Badge     lipgloss.Style
	Muted     lipgloss.Style
	Bold      lipgloss.Style
	OK        lipgloss.Style
	Fail      lipgloss.Style
	Warn      lipgloss.Style
	Running   lipgloss.Style
	Signature lipgloss.Style
	Command   lipgloss.Style
	GateBar   lipgloss.Style
	Rule      lipgloss.Style
	Help      help.Styles
	BarFull   lipgloss.Style
	BarEmpty  lipgloss.Style
}

func newStyles(dark bool) styles {
	ld := lipgloss.LightDark(dark)
	var (
		fg     = ld(lipgloss.Color("#1C1C1C"), lipgloss.Color("#EEEEEE"))
		muted  = ld(lipgloss.Color("#6C6C6C"), lipgloss.Color("#8A8A8A"))
		green  = ld(lipgloss.Color("#007A00"), lipgloss.Color("#5FD75F"))
		red    = ld(lipgloss.Color("#C00000"), lipgloss.Color("#FF5F5F"))
		amber  = ld(lipgloss.Color("#A85F00"), lipgloss.Color("#FFAF00"))
		blue   = ld(lipgloss.Color("#0050C8"), lipgloss.Color("#5FAFFF"))
		purple = ld(lipgloss.Color("#7D3CC8"), lipgloss.Color("#AF87FF"))
	)
	return styles{
		Header:    lipgloss.NewStyle().Bold(true).Foreground(fg),
		Badge:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(purple),
		Muted:     lipgloss.NewStyle().Foreground(muted),
		Bold:      lipgloss.NewStyle().Bold(true),
		OK:        lipgloss.NewStyle().Foreground(green),
		Fail:      lipgloss.NewStyle().Foreground(red).Bold(true),
		Warn:      lipgloss.NewStyle().Foreground(amber),
		Running:   lipgloss.NewStyle().Foreground(blue),
		Signature: lipgloss.NewStyle().Foreground(amber).Bold(true),
		Command:   lipgloss.NewStyle().Foreground(blue).Bold(true),
		GateBar:   lipgloss.NewStyle().Foreground(amber).Bold(true),
		Rule:      lipgloss.NewStyle().Foreground(muted),
		Help:      help.DefaultStyles(dark),
		BarFull:   lipgloss.NewStyle().Foreground(green),
		BarEmpty:  lipgloss.NewStyle().Foreground(muted),
	}
}
