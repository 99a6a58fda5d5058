package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// testRunbook is parsed once: parsing per test would dominate the -race run.
var testRunbook = runbook.Default()

// newTest returns a model with a one-frame spinner, so views are stable.
func newTest(opts Options) Model {
	if opts.App == "" {
		opts.App = testApp
	}
	if opts.Runbook == nil {
		opts.Runbook = testRunbook
	}
	m := New(opts)
	m.spin.Spinner = spinner.Spinner{Frames: []string{"⠿"}, FPS: time.Second}
	return m
}

// feed runs msgs through Update and returns the model and the last command.
func feed(t *testing.T, m Model, msgs ...tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	var cmd tea.Cmd
	for _, msg := range msgs {
		var tm tea.Model
		tm, cmd = m.Update(msg)
		m = tm.(Model)
	}
	return m, cmd
}

func keyPress(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func typed(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

func ev(phase, kind string, data map[string]any) tea.Msg {
	return EventMsg{Event: journal.Event{Phase: phase, Kind: kind, Data: wire(kind, data)}}
}

// wire turns data written as the journal's JSON into its typed payload,
// through the journal's one decoder.
func wire(kind string, data map[string]any) journal.Payload {
	raw, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	p, err := journal.DecodeData(kind, raw)
	if err != nil {
		panic(err)
	}
	return p
}

func TestPhaseStates(t *testing.T) {
	tests := []struct {
		name   string
		msgs   []tea.Msg
		want   []string // states of diagnose, bootlogs, escape, smoke
		reason string   // reason of the last phase touched, if any
	}{
		{"nothing yet", nil, []string{"pending", "pending", "pending", "pending"}, ""},
		{"diagnose running", []tea.Msg{ev("diagnose", journal.KindPhaseStart, nil)}, []string{"running", "pending", "pending", "pending"}, ""},
		{"diagnose passed, bootlogs running", []tea.Msg{
			ev("diagnose", journal.KindPhaseStart, nil), ev("diagnose", journal.KindPhaseEnd, map[string]any{"status": "passed"}),
			ev("bootlogs", journal.KindPhaseStart, nil),
		}, []string{"passed", "running", "pending", "pending"}, ""},
		{"escape skipped with reason", []tea.Msg{
			ev("escape", journal.KindPhaseEnd, map[string]any{"status": "skipped", "reason": "verdict is HEALTHY"}),
		}, []string{"pending", "pending", "skipped", "pending"}, "verdict is HEALTHY"},
		{"smoke failed", []tea.Msg{
			ev("smoke", journal.KindPhaseStart, nil), ev("smoke", journal.KindPhaseEnd, map[string]any{"status": "failed", "reason": "checks 0/1"}),
		}, []string{"pending", "pending", "pending", "failed"}, "checks 0/1"},
		{"unknown status counts as failed", []tea.Msg{
			ev("smoke", journal.KindPhaseEnd, map[string]any{"status": "weird"}),
		}, []string{"pending", "pending", "pending", "failed"}, `unknown status "weird"`},
		{"unknown phase is ignored", []tea.Msg{ev("nope", journal.KindPhaseStart, nil)}, []string{"pending", "pending", "pending", "pending"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := feed(t, newTest(Options{}), tt.msgs...)
			var got []string
			reason := ""
			for _, p := range m.run.phases {
				got = append(got, p.state)
				if p.reason != "" {
					reason = p.reason
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("states = %v, want %v", got, tt.want)
			}
			if reason != tt.reason {
				t.Errorf("reason = %q, want %q", reason, tt.reason)
			}
			if tt.reason != "" && !strings.Contains(plain(m), tt.reason) {
				t.Errorf("the reason %q is not on screen:\n%s", tt.reason, m.Render())
			}
		})
	}
}

func TestMachineDataIntOrFloat(t *testing.T) {
	m, _ := feed(t, newTest(Options{}),
		ev("diagnose", journal.KindPhaseStart, nil),
		ev("diagnose", journal.KindMachine, map[string]any{"id": "a", "checks_passing": 1, "checks_total": float64(2), "signature": true}),
		ev("diagnose", journal.KindMachine, map[string]any{"id": "b", "checks_passing": int64(0), "checks_total": uint8(1)}),
		ev("diagnose", journal.KindMachine, map[string]any{"id": "a", "checks_passing": 2.0, "checks_total": 2}),
	)
	ms := m.run.phases[0].data.machines
	if len(ms) != 2 {
		t.Fatalf("got %d machines, want 2 (a repeated machine replaces its row)", len(ms))
	}
	if ms[0].passing != 2 || ms[0].total != 2 || ms[1].total != 1 {
		t.Errorf("checks parsed wrong: %+v", ms)
	}
}

// gateModel is a model waiting at the gate, with a buffered reply channel.
func gateModel(t *testing.T) (Model, chan bool) {
	t.Helper()
	reply := make(chan bool, 4)
	m, _ := feed(t, newTest(Options{}), newScript("live").beforeGate()...)
	m, _ = feed(t, m, GateMsg{Command: escapeCL, Dir: "/srv/autonomath", Expect: testApp, Reply: reply})
	return m, reply
}

// runCmd runs a command the way the program would, and returns how many
// replies it produced on reply.
func runCmd(cmd tea.Cmd) {
	if cmd != nil {
		cmd()
	}
}

func TestGate(t *testing.T) {
	tests := []struct {
		name    string
		keys    []tea.Msg
		replies []bool // what the engine receives, in order
	}{
		{"wrong text does not confirm", append(typed("autonomat"), keyPress("enter")), nil},
		{"empty enter does not confirm", []tea.Msg{keyPress("enter")}, nil},
		{"app name and enter confirms", append(typed(testApp), keyPress("enter")), []bool{true}},
		{"a second enter does not reply again", append(typed(testApp), keyPress("enter"), keyPress("enter")), []bool{true}},
		{"wrong, then right", append(append(typed("web"), keyPress("enter")), append(typed(testApp), keyPress("enter"))...), []bool{true}},
		{"esc refuses", []tea.Msg{keyPress("esc")}, []bool{false}},
		{"no refuses", append(typed("no"), keyPress("enter")), []bool{false}},
		{"esc then enter replies once", []tea.Msg{keyPress("esc"), keyPress("enter")}, []bool{false}},
		{"q is typed, not quit", append(typed("q"), keyPress("enter")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, reply := gateModel(t)
			for _, k := range tt.keys {
				var cmd tea.Cmd
				m, cmd = feed(t, m, k)
				if _, ok := k.(tea.KeyPressMsg); ok && (k.(tea.KeyPressMsg).Code == tea.KeyEnter || k.(tea.KeyPressMsg).Code == tea.KeyEscape || k.(tea.KeyPressMsg).Mod == tea.ModCtrl) {
					runCmd(cmd)
				}
			}
			var got []bool
			for len(reply) > 0 {
				got = append(got, <-reply)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.replies) {
				t.Errorf("replies = %v, want %v", got, tt.replies)
			}
			if m.quitting {
				t.Error("the gate must never quit the program")
			}
		})
	}
}

// TestGateCtrlCInterrupts: Ctrl-C at the gate is an interrupt (the walk
// stops, exit 130, resumable), not a refusal (ABORTED, exit 40).
func TestGateCtrlCInterrupts(t *testing.T) {
	quits := 0
	reply := make(chan bool, 4)
	m, _ := feed(t, newTest(Options{Quit: func() { quits++ }}), newScript("live").beforeGate()...)
	m, _ = feed(t, m, GateMsg{Command: escapeCL, Dir: "/srv/autonomath", Expect: testApp, Reply: reply})
	m, cmd := feed(t, m, keyPress("ctrl+c"))
	runCmd(cmd)
	if len(reply) != 0 {
		t.Errorf("Ctrl-C at the gate answered it (%v): an interrupt is not a refusal", <-reply)
	}
	if quits != 1 || !m.quitting {
		t.Errorf("Ctrl-C at the gate: Quit called %d times, quitting %v; want the walk interrupted", quits, m.quitting)
	}
}

func TestGateShowsWhatHappens(t *testing.T) {
	m, _ := gateModel(t)
	m, _ = feed(t, m, typed("wbe")...)
	m, _ = feed(t, m, keyPress("enter"))
	view := ansiStrip(m.Render())
	for _, want := range []string{escapeCL, "in /srv/autonomath", "ABORTED (exit 40)", "Type autonomath", `"wbe" is not autonomath`} {
		if !strings.Contains(view, want) {
			t.Errorf("gate view lacks %q:\n%s", want, view)
		}
	}
}

func TestSecondGateWhileOneWaitsIsRefused(t *testing.T) {
	m, first := gateModel(t)
	second := make(chan bool, 1)
	m, cmd := feed(t, m, GateMsg{Command: "x", Expect: "y", Reply: second})
	runCmd(cmd)
	if got := <-second; got {
		t.Error("a second gate was confirmed")
	}
	if len(first) != 0 || !m.gate.active || m.gate.expect != testApp {
		t.Error("the first gate must keep waiting")
	}
}

func deployingModel(t *testing.T, opts Options) Model {
	t.Helper()
	m, _ := feed(t, newTest(opts), newScript("live").beforeGate()...)
	s := newScript("live")
	after := s.afterGate()
	m, _ = feed(t, m, after[:6]...) // gate, command_start, 4 lines of output
	if !m.run.deploying() {
		t.Fatal("expected the deploy to be running")
	}
	return m
}

func TestQuitDuringDeploy(t *testing.T) {
	tests := []struct {
		name       string
		keys       []string
		interrupts int
		asking     bool
	}{
		{"q asks first", []string{"q"}, 0, true},
		{"n keeps deploying", []string{"q", "n"}, 0, false},
		{"esc keeps deploying", []string{"q", "esc"}, 0, false},
		{"y sends ctrl-c", []string{"q", "y"}, 1, false},
		{"ctrl+c asks too", []string{"ctrl+c", "y"}, 1, false},
		{"a second confirmed quit interrupts again", []string{"q", "y", "q", "y"}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, quits := 0, 0
			m := deployingModel(t, Options{Interrupt: func() { calls++ }, Quit: func() { quits++ }})
			for _, k := range tt.keys {
				var cmd tea.Cmd
				m, cmd = feed(t, m, keyPress(k))
				runCmd(cmd)
			}
			if calls != tt.interrupts {
				t.Errorf("Interrupt called %d times, want %d", calls, tt.interrupts)
			}
			if quits != 0 || m.quitting {
				t.Error("quitting during the deploy must not end the program")
			}
			if m.confirmQuit != tt.asking {
				t.Errorf("asking = %v, want %v", m.confirmQuit, tt.asking)
			}
			if tt.asking && !strings.Contains(plain(m), "Quit and send Ctrl-C to flyctl? (y/N)") {
				t.Errorf("the question is not on screen:\n%s", m.Render())
			}
		})
	}
}

// TestQuitOtherwise: while the walk runs, q asks first even outside the
// deploy (a stray key must not stop a hold); y stops the walk.
func TestQuitOtherwise(t *testing.T) {
	quits := 0
	m, _ := feed(t, newTest(Options{Quit: func() { quits++ }}), newScript("live").beforeGate()...)
	m, cmd := feed(t, m, keyPress("q"))
	if m.quitting || cmd != nil || !strings.Contains(plain(m), "Stop it here") {
		t.Fatalf("q while the walk runs must ask first:\n%s", plain(m))
	}
	m, cmd = feed(t, m, keyPress("n"))
	if m.quitting || cmd != nil || quits != 0 {
		t.Fatal("any key but y must keep the walk going")
	}
	m, _ = feed(t, m, keyPress("q"))
	m, cmd = feed(t, m, keyPress("y"))
	if !m.quitting || cmd == nil {
		t.Fatal("q then y must stop the walk")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("the command must end the program")
	}
	if quits != 1 {
		t.Errorf("Quit called %d times, want 1", quits)
	}
}

func TestDoneWaitsForKeyUnlessExitOnDone(t *testing.T) {
	done := DoneMsg{Verdict: verdict.Recovered, ExitCode: 0, Incident: "inc-1", JournalPath: "journal.ndjson"}
	m, cmd := feed(t, newTest(Options{}), done)
	if m.quitting || cmd != nil {
		t.Fatal("the program must wait for a key after DoneMsg")
	}
	m, cmd = feed(t, m, keyPress("enter"))
	if !m.quitting || cmd == nil {
		t.Fatal("enter after DoneMsg must quit")
	}
	m, cmd = feed(t, newTest(Options{ExitOnDone: true}), done)
	if !m.quitting || cmd == nil {
		t.Fatal("ExitOnDone must quit at once")
	}
}

func TestScroll(t *testing.T) {
	m := deployingModel(t, Options{})
	var lines []tea.Msg
	for i := range 60 {
		lines = append(lines, ev("escape", journal.KindCommandOutput, map[string]any{"line": fmt.Sprintf("output line %02d", i)}))
	}
	m, _ = feed(t, m, lines...)
	if !strings.Contains(plain(m), "output line 59") {
		t.Fatalf("follow mode must show the tail:\n%s", m.Render())
	}
	steps := []struct {
		key      string
		wantBack func(int, int) bool // (scrollBack, window height)
		shows    string
	}{
		{"pgup", func(b, h int) bool { return b == h-1 }, ""},
		{"up", func(b, h int) bool { return b == h }, ""},
		{"down", func(b, h int) bool { return b == h-1 }, ""},
		{"pgdown", func(b, h int) bool { return b == 0 }, "output line 59"},
		{"up", func(b, h int) bool { return b == 1 }, "1 more lines below"},
		{"end", func(b, h int) bool { return b == 0 }, "output line 59"},
	}
	for _, st := range steps {
		m, _ = feed(t, m, keyPress(st.key))
		if h := m.outputHeight(); !st.wantBack(m.scrollBack, h) {
			t.Errorf("after %s: scrollBack %d (window %d)", st.key, m.scrollBack, h)
		}
		if st.shows != "" && !strings.Contains(plain(m), st.shows) {
			t.Errorf("after %s the view lacks %q", st.key, st.shows)
		}
	}
	for range 20 {
		m, _ = feed(t, m, keyPress("pgup"))
	}
	if !strings.Contains(plain(m), "output line 00") || m.scrollBack != len(m.run.output)-m.outputHeight() {
		t.Errorf("scrolling stops at the first line: scrollBack %d\n%s", m.scrollBack, m.Render())
	}
	// New output while scrolled back leaves the view where it is.
	before := m.scrollBack
	m, _ = feed(t, m, ev("escape", journal.KindCommandOutput, map[string]any{"line": "new"}))
	if m.scrollBack != before {
		t.Errorf("scrollBack moved from %d to %d", before, m.scrollBack)
	}
}

func TestResizeIsIdempotent(t *testing.T) {
	m, _ := feed(t, newTest(Options{Drill: true}), newScript("live").beforeGate()...)
	for _, size := range [][2]int{{80, 24}, {120, 40}, {40, 10}, {200, 60}} {
		once, _ := feed(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		twice, _ := feed(t, once, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		if once.Render() != twice.Render() {
			t.Errorf("%v: a second WindowSizeMsg changed the view", size)
		}
		lines := strings.Split(once.Render(), "\n")
		if len(lines) != size[1] {
			t.Errorf("%v: %d lines, want %d", size, len(lines), size[1])
		}
		for i, l := range lines {
			if w := lipglossWidth(l); w > size[0] {
				t.Errorf("%v: line %d is %d wide: %q", size, i, w, l)
			}
		}
		if !strings.Contains(plain(once), "[DRILL]") {
			t.Errorf("%v: the DRILL badge is missing", size)
		}
	}
}

func TestDetailsToggle(t *testing.T) {
	m, _ := feed(t, newTest(Options{}), newScript("live").beforeGate()[:5]...)
	m, _ = feed(t, m, tea.WindowSizeMsg{Width: 100, Height: 40})
	if strings.Contains(plain(m), "List every machine") {
		t.Fatal("details are off by default")
	}
	m, _ = feed(t, m, keyPress("d"))
	if !strings.Contains(plain(m), "List every machine") || !strings.Contains(plain(m), "out of the proxy") {
		t.Errorf("d must show why/do/don't:\n%s", m.Render())
	}
}

var sgr = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// colourEscapes returns the SGR sequences in s that set a colour.
func colourEscapes(s string) []string {
	var out []string
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			var n int
			fmt.Sscan(p, &n)
			if (n >= 30 && n <= 49) || (n >= 90 && n <= 107) {
				out = append(out, m[0])
				break
			}
		}
	}
	return out
}

func TestNoColourUnderAscii(t *testing.T) {
	m, _ := feed(t, newTest(Options{Drill: true}), newScript("drill").beforeGate()...)
	m, _ = feed(t, m, GateMsg{Command: escapeCL, Expect: testApp, Reply: make(chan bool, 1)})
	if len(colourEscapes(m.Render())) == 0 {
		t.Fatal("the test is void: the true-colour view has no colour")
	}
	for _, p := range []colorprofile.Profile{colorprofile.Ascii, colorprofile.NoTTY} {
		m2, _ := feed(t, m, tea.ColorProfileMsg{Profile: p})
		if strings.Contains(m2.Render(), "\x1b") {
			t.Errorf("%v: escape codes in the view: %q", p, colourEscapes(m2.Render()))
		}
	}
	// What Bubble Tea detects, and reports as ColorProfileMsg, on a colour
	// terminal with NO_COLOR set.
	noColor := colorprofile.Env([]string{"NO_COLOR=1", "TERM=xterm-256color", "COLORTERM=truecolor"})
	if m4, _ := feed(t, m, tea.ColorProfileMsg{Profile: noColor}); strings.Contains(m4.Render(), "\x1b") {
		t.Errorf("NO_COLOR (profile %v): escape codes in the view", noColor)
	}
	m3, _ := feed(t, m, tea.ColorProfileMsg{Profile: colorprofile.ANSI})
	for _, e := range colourEscapes(m3.Render()) {
		if strings.Contains(e, "38;2") || strings.Contains(e, "38;5") {
			t.Errorf("ANSI profile kept an extended colour: %q", e)
		}
	}
}

func TestLightBackground(t *testing.T) {
	m, _ := feed(t, newTest(Options{}), newScript("live").beforeGate()...)
	light, _ := feed(t, m, tea.BackgroundColorMsg{Color: colorWhite{}})
	if light.Render() == m.Render() {
		t.Error("a light background must change the palette")
	}
	if ansiStrip(light.Render()) != ansiStrip(m.Render()) {
		t.Error("the background must change colours only, not text")
	}
}

func TestSummary(t *testing.T) {
	m, _ := feed(t, newTest(Options{Drill: true}), newScript("drill").beforeGate()...)
	m, _ = feed(t, m, newScript("drill").afterGate()...)
	m, _ = feed(t, m, DoneMsg{Verdict: verdict.Recovered, ExitCode: 0, Incident: "inc-20260511-031200",
		JournalPath: "state/journals/inc-20260511-031200.ndjson", Next: advice.Advice{Command: "jpops postmortem inc-20260511-031200"},
		Err: errors.New("token FlyV1 fm2_abcdefghijklmnop leaked")})
	got := Summary(m)
	golden.RequireEqual(t, []byte(got))
	if strings.Contains(got, "\x1b") || strings.Contains(got, "fm2_abc") {
		t.Errorf("summary must be plain and redacted:\n%s", got)
	}
	if s := Summary(newTest(Options{})); !strings.Contains(s, "none: the UI was closed") {
		t.Errorf("summary before the end: %q", s)
	}
}

// TestGateView goldens the screen at the gate, mid-run.
func TestGateView(t *testing.T) {
	m, _ := gateModel(t)
	m, _ = feed(t, m, tea.ColorProfileMsg{Profile: colorprofile.Ascii}, tea.WindowSizeMsg{Width: 80, Height: 24})
	m, _ = feed(t, m, typed("auto")...)
	golden.RequireEqual(t, []byte(m.Render()))
}

func TestRedactsOutput(t *testing.T) {
	m := deployingModel(t, Options{})
	m, _ = feed(t, m, ev("escape", journal.KindCommandOutput, map[string]any{"line": "auth: FlyV1 fm2_secretsecretsecret\x1b[31m red"}))
	v := m.Render()
	if strings.Contains(v, "fm2_secret") || strings.Contains(v, "\x1b[31m") {
		t.Errorf("token or raw escape on screen:\n%q", v)
	}
	if !strings.Contains(v, "[REDACTED]") {
		t.Error("expected the redaction mask")
	}
}

// TestTimersTick: between events the running phase's timer follows the
// engine's clock, once a second.
func TestTimersTick(t *testing.T) {
	var now time.Time
	m, _ := feed(t, newTest(Options{Now: func() time.Time { return now }}), newScript("live").beforeGate()...)
	running := regexp.MustCompile(`running [0-9ms]+`)
	before := running.FindString(plain(m))
	now = m.run.lastTS.Add(42 * time.Second)
	m, _ = feed(t, m, tickMsg(time.Now()))
	after := running.FindString(plain(m))
	if before == "" || after == before {
		t.Errorf("a tick 42 s on did not move the timer: %q then %q:\n%s", before, after, plain(m))
	}
	var p phase
	for _, ph := range m.run.phases {
		if ph.state == stateRunning {
			p = ph
		}
	}
	if want := "running " + dur(now.Sub(p.started).Seconds()); after != want {
		t.Errorf("timer %q, want %q", after, want)
	}
}

// TestMarksMeanOneThing: a phase that found HEALTHY or NOT_THIS_INCIDENT
// is not a green "passed", and phases that never ran are not "pending" on
// the end screen.
func TestMarksMeanOneThing(t *testing.T) {
	for _, tc := range []struct{ name, says string }{{"healthy", "HEALTHY"}, {"other-failure", "NOT_THIS_INCIDENT"}} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := feed(t, newTest(Options{}), msgs(readScript(tc.name, "drill").events)...)
			m, _ = feed(t, m, DoneMsg{Verdict: verdict.Verdict(tc.says), ExitCode: verdict.Verdict(tc.says).ExitCode()})
			screen := plain(m)
			first := strings.Split(screen, "\n")[1]
			if strings.Contains(first, "passed") || !strings.Contains(first, tc.says) {
				t.Errorf("phase 1 after %s reads %q, want it to say %s, not passed", tc.name, first, tc.says)
			}
			if strings.Contains(screen, "pending") {
				t.Errorf("a phase is still pending on the end screen:\n%s", screen)
			}
		})
	}
}
