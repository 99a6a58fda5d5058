package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

func BenchmarkUpdateRun(b *testing.B) {
	s := newScript("live")
	msgs := append(s.beforeGate(), s.afterGate()...)
	for b.Loop() {
		var m tea.Model = New(Options{App: testApp})
		for _, msg := range msgs {
			m, _ = m.Update(msg)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	s := newScript("live")
	var m tea.Model = New(Options{App: testApp})
	for _, msg := range append(s.beforeGate(), s.afterGate()[:20]...) {
		m, _ = m.Update(msg)
	}
	for b.Loop() {
		_ = m.(Model).Render()
	}
}
