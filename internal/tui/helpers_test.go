package tui

import (
	"github.com/charmbracelet/x/ansi"
)

func lipglossWidth(s string) int { return ansi.StringWidth(s) }
func ansiStrip(s string) string  { return ansi.Strip(s) }

type colorWhite struct{}

func (colorWhite) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

// plain is the screen without styling, for assertions on text.
func plain(m Model) string { return ansi.Strip(m.Render()) }
