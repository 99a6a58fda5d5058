package tui

import (
	"path/filepath"
	"slices"

	tea "charm.land/bubbletea/v2"

	"github.com/jpops-dev/jpops/internal/journal"
)

// The screens are tested with journals recorded from drills (the
// 2026-05-11 outage, where the operator confirmed the gate, and a deploy
// that fails): `go generate ./internal/incident` records them again and
// rewrites the goldens.
func recorded(name string) string {
	return filepath.Join("..", "incident", "testdata", "recorded", name+journal.Ext)
}

// What the recorded drill holds.
const (
	testApp  = "autonomath-api"
	machineA = "85e273f4b1c638"
	machineB = "d8d2e1a7c40958"
	escapeCL = "flyctl deploy --remote-only --strategy rolling -a autonomath-api"
)

// script is the recorded drill's events, as the engine reported them.
type script struct{ events []journal.Event }

// newScript reads the recorded drill of the outage, shown as an incident of mode.
func newScript(mode string) *script { return readScript("db-boot-hang", mode) }

func readScript(name, mode string) *script {
	events, err := journal.Read(recorded(name))
	if err != nil {
		panic(err)
	}
	for i := range events {
		events[i].Mode = mode
	}
	return &script{events: events}
}

// gate is the index of the gate event: the engine asks the operator there.
func (s *script) gate() int {
	i := slices.IndexFunc(s.events, func(e journal.Event) bool { return e.Kind == journal.KindGate })
	if i < 0 {
		panic("the recorded drill has no gate")
	}
	return i
}

// beforeGate: phases 1 and 2, and phase 3 up to its gate.
func (s *script) beforeGate() []tea.Msg { return msgs(s.events[:s.gate()]) }

// afterGate: the gate, the deploy, the smoke walk and the end of the incident.
func (s *script) afterGate() []tea.Msg { return msgs(s.events[s.gate():]) }

// upTo is the number of messages in list up to and including the first
// event that match says is the one.
func upTo(list []tea.Msg, match func(journal.Event) bool) int {
	for i, m := range list {
		if em, ok := m.(EventMsg); ok && match(em.Event) {
			return i + 1
		}
	}
	panic("no such event in the recorded drill")
}

func msgs(events []journal.Event) []tea.Msg {
	out := make([]tea.Msg, len(events))
	for i, e := range events {
		out[i] = EventMsg{Event: e}
	}
	return out
}

// deployOutput is what flyctl printed in the recorded drill.
var deployOutput = func() []string {
	var out []string
	for _, e := range newScript("live").events {
		if o, ok := e.Data.(journal.CommandOutput); ok {
			out = append(out, o.Line)
		}
	}
	return out
}()

func isKind(kind string) func(journal.Event) bool {
	return func(e journal.Event) bool { return e.Kind == kind }
}
