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

// BenchmarkRenderDetails is BenchmarkRender with the detail view open at
// the end of a run: the whole story laid out and wrapped every frame.
func BenchmarkRenderDetails(b *testing.B) {
	s := newScript("live")
	var m tea.Model = New(Options{App: testApp})
	for _, msg := range append(s.beforeGate(), s.afterGate()...) {
		m, _ = m.Update(msg)
	}
	m, _ = m.Update(DoneMsg{Verdict: "RECOVERED", Incident: "inc"})
	m, _ = m.Update(keyPress("d"))
	if !m.(Model).details {
		b.Fatal("d did not open the details")
	}
	for b.Loop() {
		_ = m.(Model).Render()
	}
}
