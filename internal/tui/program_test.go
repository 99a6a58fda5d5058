package tui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// playRun drives a real program through a whole db-boot-hang run: the test
// plays the engine, answering the gate by typing like an operator.
func playRun(t *testing.T, opts Options, w, h int) (Model, []byte) {
	t.Helper()
	mode := "live"
	if opts.Drill {
		mode = "drill"
	}
	tm := teatest.NewTestModel(t, newTest(opts),
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	s := newScript(mode)
	for _, msg := range s.beforeGate() {
		tm.Send(msg)
	}
	reply := make(chan bool) // unbuffered: the engine blocks on it like the real one
	tm.Send(GateMsg{Command: escapeCL, Dir: "/srv/autonomath", Expect: testApp, Reply: reply})
	tm.Type("autonomat") // one letter short: must not confirm
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Type(testApp)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	select {
	case ok := <-reply:
		if !ok {
			t.Fatal("the gate refused the right app name")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the gate never answered")
	}
	for _, msg := range s.afterGate() {
		tm.Send(msg)
	}
	tm.Send(DoneMsg{Verdict: verdict.Recovered, ExitCode: 0, Incident: "inc-20260511-031200",
		JournalPath: "state/journals/inc-20260511-031200.ndjson", Next: advice.Advice{Command: "jpops postmortem inc-20260511-031200"}})
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	out, err := io.ReadAll(tm.FinalOutput(t))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-reply:
		t.Fatal("the gate replied twice")
	default:
	}
	if final.profile != colorprofile.Ascii {
		t.Fatalf("the program never reported its colour profile (got %v)", final.profile)
	}
	return final, out
}

func TestRunFinal80x24(t *testing.T) {
	t.Parallel()
	final, out := playRun(t, Options{App: testApp}, 80, 24)
	view := final.Render()
	golden.RequireEqual(t, []byte(view))
	if !final.gate.confirmed || !final.done || final.result.Verdict != verdict.Recovered {
		t.Errorf("final state: gate %+v done %v verdict %s", final.gate, final.done, final.result.Verdict)
	}
	if e := colourEscapes(string(out)); len(e) > 0 {
		t.Errorf("colour escapes reached an Ascii terminal: %q", e[:min(5, len(e))])
	}
	if strings.Contains(view, "\x1b") {
		t.Error("the Ascii view carries escape codes")
	}
}

func TestRunFinal120x40(t *testing.T) {
	t.Parallel()
	final, _ := playRun(t, Options{App: testApp}, 120, 40)
	golden.RequireEqual(t, []byte(final.Render()))
}

func TestRunFinalDrill(t *testing.T) {
	t.Parallel()
	final, _ := playRun(t, Options{App: testApp, Drill: true, Scenario: "db-boot-hang"}, 80, 24)
	view := final.Render()
	golden.RequireEqual(t, []byte(view))
	if !strings.Contains(view, "[DRILL db-boot-hang]") {
		t.Error("the DRILL badge is missing")
	}
}

// TestRunDuringDeploy goldens the escape panel while flyctl streams, at
// the program's own size handling.
func TestRunDuringDeploy(t *testing.T) {
	t.Parallel()
	m, _ := feed(t, newTest(Options{}), newScript("live").beforeGate()...)
	s := newScript("live")
	after := s.afterGate()
	m, _ = feed(t, m, tea.ColorProfileMsg{Profile: colorprofile.Ascii}, tea.WindowSizeMsg{Width: 80, Height: 24})
	m, _ = feed(t, m, after[:2+len(deployOutput)]...)
	view := m.Render()
	golden.RequireEqual(t, []byte(view))
	if !bytes.Contains([]byte(view), []byte(deployOutput[len(deployOutput)-1])) {
		t.Error("follow mode must show flyctl's last line")
	}
}

// TestSmokeHoldView goldens the smoke walk halfway through the hold, with
// one machine failing a check before it recovered.
func TestSmokeHoldView(t *testing.T) {
	s := newScript("live")
	m, _ := feed(t, newTest(Options{}), s.beforeGate()...)
	after := s.afterGate()
	m, _ = feed(t, m, tea.ColorProfileMsg{Profile: colorprofile.Ascii}, tea.WindowSizeMsg{Width: 80, Height: 24})
	var mid journal.Hold // the hold's first mark past its midpoint
	m, _ = feed(t, m, after[:upTo(after, func(e journal.Event) bool {
		h, ok := e.Data.(journal.Hold)
		mid = h
		return ok && h.ElapsedS >= h.HoldS/2
	})]...)
	m, _ = feed(t, m, ev("smoke", journal.KindSmokeResult, map[string]any{"machine": machineB, "check": "checks", "ok": false, "detail": "0/1 passing"}))
	view := m.Render()
	golden.RequireEqual(t, []byte(view))
	progress := dur(mid.ElapsedS) + " of " + dur(mid.HoldS) + " · " + dur(mid.RemainingS) + " left"
	for _, want := range []string{"stability hold", progress, "✗ checks: 0/1 passing"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q", want)
		}
	}
}

func TestEscapeFailedDoneView(t *testing.T) {
	s := readScript("deploy-fails", "live")
	m, _ := feed(t, newTest(Options{}), tea.ColorProfileMsg{Profile: colorprofile.Ascii}, tea.WindowSizeMsg{Width: 80, Height: 24})
	m, _ = feed(t, m, msgs(s.events)...)
	m, _ = feed(t, m, DoneMsg{Verdict: verdict.EscapeFailed, ExitCode: 20, Incident: s.events[0].Incident, Next: advice.Advice{Command: "jpops resume " + s.events[0].Incident}})
	view := m.Render()
	golden.RequireEqual(t, []byte(view))
	for _, want := range []string{"✗ ESCAPE_FAILED  exit 20", "failed to fetch an image or build from source", "flyctl exited 1", "skipped: phase 3 did not deploy"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q", want)
		}
	}
}

// TestDiagnoseAndBootlogsViews golden phases 1 and 2 as the operator sees them.
func TestDiagnoseAndBootlogsViews(t *testing.T) {
	msgs := newScript("live").beforeGate()
	for _, tc := range []struct {
		name string
		upTo int
		want []string
	}{
		{"diagnose", upTo(msgs, isKind(journal.KindMachine)) + 1, []string{"◆ " + machineA + "  nrt     started    0/1", "hung 38m"}},
		{"bootlogs", upTo(msgs, isKind(journal.KindVerdict)), []string{"running 38m", "→ HANG_CONFIRMED", "next: jpops run -a autonomath-api"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := feed(t, newTest(Options{}), tea.ColorProfileMsg{Profile: colorprofile.Ascii}, tea.WindowSizeMsg{Width: 80, Height: 24})
			m, _ = feed(t, m, msgs[:tc.upTo]...)
			view := m.Render()
			golden.RequireEqual(t, []byte(view))
			for _, w := range tc.want {
				if !strings.Contains(view, w) {
					t.Errorf("view lacks %q", w)
				}
			}
		})
	}
}
