package tui

import (
	"encoding/json"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/jpops-dev/jpops/internal/journal"
)

// FuzzEvent feeds arbitrary journal lines (outside input: the engine's
// events, possibly read back from a journal) to the UI. It must never
// panic, and no escape code from the data may reach the screen.
func FuzzEvent(f *testing.F) {
	f.Add(`{"phase":"diagnose","kind":"phase_start","data":{"title":"x"}}`)
	f.Add(`{"phase":"diagnose","kind":"machine","data":{"id":"a","checks_passing":"1e400","checks_total":-3,"signature":"true","since_s":1e300}}`)
	f.Add(`{"phase":"escape","kind":"command_start","data":{"argv":["flyctl",{"a":1},null,"a b"]}}`)
	f.Add(`{"phase":"escape","kind":"command_output","data":{"line":"\u001b[2J\u001b]52;c;aGk=\u0007 FlyV1 fm2_abcdefgh"}}`)
	f.Add(`{"phase":"smoke","kind":"hold","data":{"elapsed_s":-5,"remaining_s":"NaN","hold_s":0}}`)
	f.Add(`{"phase":"smoke","kind":"phase_end","data":{"status":["passed"],"reason":{"x":1}}}`)
	f.Fuzz(func(t *testing.T, line string) {
		var ev journal.Event
		if json.Unmarshal([]byte(line), &ev) != nil {
			return
		}
		m := newTest(Options{})
		m, _ = feed(t, m, tea.WindowSizeMsg{Width: 60, Height: 20})
		m, _ = feed(t, m, EventMsg{Event: journal.Event{Phase: "escape", Kind: journal.KindPhaseStart}})
		m, _ = feed(t, m, EventMsg{Event: ev}, EventMsg{Event: ev})
		for _, id := range []string{"diagnose", "bootlogs", "smoke", "escape"} {
			m.run.current = m.run.phaseIndex(id)
			// Our own styling is SGR only; anything else came from the data.
			if out := sgr.ReplaceAllString(m.Render(), ""); strings.Contains(out, "\x1b") {
				t.Fatalf("escape code on screen from %q:\n%q", line, out)
			}
			ascii, _ := feed(t, m, tea.ColorProfileMsg{Profile: colorprofile.Ascii})
			if strings.Contains(ascii.Render(), "\x1b") {
				t.Fatalf("escape code on an Ascii screen from %q", line)
			}
		}
		m, _ = feed(t, m, DoneMsg{})
		if s := Summary(m); strings.Contains(s, "\x1b") {
			t.Fatalf("escape code in summary from %q", line)
		}
	})
}
