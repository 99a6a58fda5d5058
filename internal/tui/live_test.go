package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/clock"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// widths are the terminal sizes every live screen is tested at: the
// narrowest an operator is likely to split a terminal to, and a wide one.
var sizes = []struct{ w, h int }{{60, 24}, {120, 40}}

func sizeName(w, h int) string { return fmt.Sprintf("%dx%d", w, h) }

// drive runs a real program at w×h through msgs and returns its model once
// it has handled every one of them.
func drive(t *testing.T, opts Options, w, h int, msgs ...tea.Msg) Model {
	t.Helper()
	tm := teatest.NewTestModel(t, newTest(opts),
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	// The program reports the profile and the size itself, but not in
	// order with what the test sends: sent first here, they are.
	tm.Send(tea.ColorProfileMsg{Profile: colorprofile.Ascii})
	tm.Send(tea.WindowSizeMsg{Width: w, Height: h})
	for _, msg := range msgs {
		tm.Send(msg)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
}

// squeeze drops every space, so text wrapped over lines compares with the
// text it came from.
func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

// wantWhole checks that every piece of text is on screen whole: wrapped
// maybe, never cut.
func wantWhole(t *testing.T, screen string, texts ...string) {
	t.Helper()
	flat := squeeze(screen)
	for _, text := range texts {
		if !strings.Contains(flat, squeeze(text)) {
			t.Errorf("%q is not on screen whole:\n%s", text, screen)
		}
	}
}

func wantFits(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := lipglossWidth(l); lw > w {
			t.Errorf("line %d is %d wide, more than %d: %q", i+1, lw, w, l)
		}
	}
}

// commandLines is the command as the gate shows it, its lines joined.
func commandLines(screen string) (string, bool) {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, " $ ") {
			continue
		}
		parts := []string{strings.TrimPrefix(l, " $ ")}
		for _, next := range lines[i+1:] {
			if !strings.HasPrefix(next, "   ") || strings.HasPrefix(next, "   in ") {
				break
			}
			parts = append(parts, strings.TrimSpace(next))
		}
		return strings.Join(parts, " "), true
	}
	return "", false
}

// TestGateCommandWhole: the command being confirmed is on screen whole at
// any width, wrapped at its spaces, never cut, and so is where to type.
func TestGateCommandWhole(t *testing.T) {
	long := escapeCL + " --config /srv/autonomath-api/deploy/production/fly.toml --build-arg JPOPS_ESCAPE_REASON=integrity_check-hang-2026-05-11"
	for _, tc := range []struct {
		name, command string
		w, h          int
	}{
		{"60x24", escapeCL, 60, 24},
		{"120x40", escapeCL, 120, 40},
		{"60x16", escapeCL, 60, 16},
		{"long-60x24", long, 60, 24},
		{"long-120x40", long, 120, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs := append(newScript("live").beforeGate(), GateMsg{Command: tc.command, Dir: "/srv/autonomath", Expect: testApp, Reply: make(chan bool, 1)})
			m := drive(t, Options{}, tc.w, tc.h, append(msgs, typed("auto")...)...)
			screen := m.Render()
			golden.RequireEqual(t, []byte(screen))
			wantFits(t, screen, tc.w, tc.h)
			got, ok := commandLines(screen)
			if !ok || got != tc.command {
				t.Errorf("the command reads %q, want %q:\n%s", got, tc.command, screen)
			}
			if !strings.Contains(screen, "> auto█") || !strings.Contains(screen, "Type autonomath-api") {
				t.Errorf("where to type is not on screen:\n%s", screen)
			}
		})
	}
}

// TestTimersTickEverySecond: on every running phase, the timers move each
// second with the engine's clock, between events: phase 3 while the gate
// waits, a build that prints nothing, the settle and the hold.
func TestTimersTickEverySecond(t *testing.T) {
	after := newScript("live").afterGate()
	isPhaseStart := func(id string) func(journal.Event) bool {
		return func(e journal.Event) bool { return e.Kind == journal.KindPhaseStart && e.Phase == id }
	}
	gate := GateMsg{Command: escapeCL, Dir: "/srv/autonomath", Expect: testApp, Reply: make(chan bool, 1)}
	for _, tc := range []struct {
		name  string
		msgs  []tea.Msg
		timer *regexp.Regexp // the timer that must tick
		want  func(m Model, now time.Time) string
	}{
		{"gate", append(newScript("live").beforeGate(), gate), regexp.MustCompile(`running \S+`), running(runbook.PhaseEscape)},
		{"quiet-build", append(newScript("live").beforeGate(), after[:upTo(after, isKind(journal.KindCommandOutput))]...),
			regexp.MustCompile(`running \S+`), running(runbook.PhaseEscape)},
		{"settle", append(newScript("live").beforeGate(), after[:upTo(after, isPhaseStart(runbook.PhaseSmoke))]...),
			regexp.MustCompile(`running \S+`), running(runbook.PhaseSmoke)},
		{"hold", append(newScript("live").beforeGate(), after[:upTo(after, isKind(journal.KindHold))]...),
			regexp.MustCompile(`\S+ of \S+ · \S+ left`), func(m Model, now time.Time) string {
				hd := m.run.hold
				el := hd.elapsed + now.Sub(hd.at).Seconds()
				return fmt.Sprintf("%s of %s · %s left", dur(el), dur(hd.full), dur(hd.full-el))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := lastTS(tc.msgs)
			clk := clock.NewManual(start)
			m, _ := feed(t, newTest(Options{Now: clk.Now}), tc.msgs...)
			seen := map[string]bool{}
			for s := 1; s <= 3; s++ {
				clk.Advance(time.Second)
				m, _ = feed(t, m, tickMsg(time.Now()))
				got := tc.timer.FindString(plain(m))
				if want := tc.want(m, clk.Now()); got != want {
					t.Errorf("%ds on: the timer reads %q, want %q", s, got, want)
				}
				if seen[got] {
					t.Errorf("%ds on: the timer did not move from %q", s, got)
				}
				seen[got] = true
			}
			// The same through a real program, at both widths.
			for _, size := range sizes {
				clk := clock.NewManual(start.Add(quietAfter + time.Second))
				final := drive(t, Options{Now: clk.Now}, size.w, size.h, append(tc.msgs, tickMsg(time.Now()))...)
				if got, want := tc.timer.FindString(plain(final)), tc.want(final, clk.Now()); got != want {
					t.Errorf("%s: the program's timer reads %q, want %q", sizeName(size.w, size.h), got, want)
				}
				if tc.name == "quiet-build" && !strings.Contains(plain(final), "flyctl quiet for") {
					t.Errorf("%s: a quiet build does not say so:\n%s", sizeName(size.w, size.h), plain(final))
				}
			}
		})
	}
}

func running(id string) func(Model, time.Time) string {
	return func(m Model, now time.Time) string {
		p := m.run.phases[m.run.phaseIndex(id)]
		return "running " + dur(now.Sub(p.started).Seconds())
	}
}

func lastTS(msgs []tea.Msg) time.Time {
	var ts time.Time
	for _, m := range msgs {
		if em, ok := m.(EventMsg); ok && em.Event.TS.After(ts) {
			ts = em.Event.TS
		}
	}
	return ts
}

// detailText is the whole detail view, scrolled through page by page.
func detailText(t *testing.T, m Model) string {
	t.Helper()
	w, _ := m.size()
	doc := m.detailDoc(w)
	var b strings.Builder
	seen := 0
	for range len(doc) + 1 {
		screen := plain(m)
		if !strings.Contains(screen, " details") {
			t.Fatalf("the detail view is not open:\n%s", screen)
		}
		bodyH := m.detailBodyHeight()
		top := min(m.detailTop, max(0, len(doc)-bodyH))
		end := min(len(doc), top+bodyH)
		if end > seen {
			for _, l := range doc[max(seen, top):end] {
				b.WriteString(ansiStrip(l) + "\n")
			}
			seen = end
		}
		if seen >= len(doc) {
			break
		}
		m, _ = feed(t, m, keyPress("pgdown"))
	}
	if seen < len(doc) {
		t.Fatalf("scrolling reached line %d of %d", seen, len(doc))
	}
	return b.String()
}

// TestDetailViewOnEveryScreen: d (tab at the gate) opens the detail view on
// every screen, the end screens included, and it holds, untruncated, the
// full reason, the full next step, every machine with its state, every
// evidence line and flyctl's error lines; it scrolls to its end.
func TestDetailViewOnEveryScreen(t *testing.T) {
	type screen struct {
		name string
		msgs []tea.Msg
		key  string
		done *DoneMsg
	}
	ended := func(name string) screen {
		s := readScript(name, "live")
		end := s.events[len(s.events)-1]
		d := DoneMsg{Incident: end.Incident, JournalPath: "state/incidents/" + end.Incident + ".ndjson"}
		if e, ok := end.Data.(journal.IncidentEnd); ok {
			d.Verdict, d.ExitCode, d.Next = e.Verdict, e.ExitCode, e.Advice()
		}
		if d.Next.IsZero() {
			d.Next = advice.Advice{Command: "jpops postmortem " + end.Incident}
		}
		return screen{name: name, msgs: msgs(s.events), key: "d", done: &d}
	}
	before := newScript("live").beforeGate()
	gate := GateMsg{Command: escapeCL, Dir: "/srv/autonomath", Expect: testApp, Reply: make(chan bool, 1)}
	screens := []screen{
		{name: "diagnose", msgs: before[:upTo(before, isKind(journal.KindMachine))+1], key: "d"},
		{name: "gate", msgs: append(append([]tea.Msg{}, before...), gate), key: "tab"},
		ended("db-boot-hang"), ended("deploy-fails"), ended("fix-missing"), ended("healthy"),
		ended("other-failure"), ended("gate-refused"),
	}
	for _, sc := range screens {
		for _, size := range sizes {
			t.Run(sc.name+"/"+sizeName(size.w, size.h), func(t *testing.T) {
				all := append([]tea.Msg{}, sc.msgs...)
				if sc.done != nil {
					all = append(all, *sc.done)
				}
				m := drive(t, Options{}, size.w, size.h, append(all, keyPress(sc.key))...)
				if !m.details {
					t.Fatalf("%s did not open the details", sc.key)
				}
				first := m.Render()
				wantFits(t, first, size.w, size.h)
				if sc.name == "deploy-fails" || sc.name == "gate" {
					golden.RequireEqual(t, []byte(first))
				}
				text := detailText(t, m)
				var want []string
				shownLast := map[string]string{}
				for _, msg := range sc.msgs {
					em, ok := msg.(EventMsg)
					if !ok {
						continue
					}
					switch d := em.Event.Data.(type) {
					case journal.Machine:
						want = append(want, d.ID+"  "+d.Region+"  "+d.State)
					case journal.Evidence:
						want = append(want, d.Line)
					case journal.CommandExit:
						for _, l := range strings.Split(d.Error, "\n") {
							want = append(want, strings.TrimSpace(l))
						}
					case journal.Verdict:
						want = append(want, d.Reason, d.Next, d.NextNote)
					case journal.PhaseEnd:
						want = append(want, d.Reason)
					case journal.SmokeResult:
						want = append(want, d.Detail)
					case journal.SmokeMachine: // each machine as it last was
						shownLast[d.ID] = fmt.Sprintf("%s  %s  %s  checks %d/%d", d.ID, d.Region, d.State, d.ChecksPassing, d.ChecksTotal)
					case journal.Note:
						want = append(want, d.Text)
					}
				}
				for _, last := range shownLast {
					want = append(want, last)
				}
				if sc.done != nil {
					want = append(want, string(sc.done.Verdict), sc.done.Next.Command, sc.done.Next.Note, sc.done.Incident)
				}
				wantWhole(t, text, want...)
				// Closing goes back to the screen it opened on.
				closed, _ := feed(t, m, keyPress("esc"))
				if closed.details || closed.gate.active != m.gate.active {
					t.Errorf("esc left the details open (%v) or changed the gate", closed.details)
				}
			})
		}
	}
}

// TestDetailViewAtTheGateTypesNothing: with the details open at the gate,
// letters are not typed and enter confirms nothing.
func TestDetailViewAtTheGateTypesNothing(t *testing.T) {
	m, reply := gateModel(t)
	m, _ = feed(t, m, keyPress("tab"))
	m, cmd := feed(t, m, append(typed(testApp), keyPress("enter"))...)
	runCmd(cmd)
	if len(reply) != 0 || m.input.Value() != "" {
		t.Errorf("typing in the detail view reached the gate: replies %d, input %q", len(reply), m.input.Value())
	}
	m, _ = feed(t, m, keyPress("tab"))
	if m.details || !m.gate.active {
		t.Fatal("tab did not go back to the gate")
	}
	m, cmd = feed(t, m, append(typed(testApp), keyPress("enter"))...)
	runCmd(cmd)
	if len(reply) != 1 || !<-reply {
		t.Error("the gate does not confirm after the details closed")
	}
}

// TestEndScreenSaysWhatIsBelow: an end screen too short for its story
// says how many lines are below and that d shows them.
func TestEndScreenSaysWhatIsBelow(t *testing.T) {
	s := readScript("deploy-fails", "live")
	m := drive(t, Options{}, 60, 24, append(msgs(s.events), DoneMsg{Verdict: verdict.EscapeFailed, ExitCode: 20, Incident: s.events[0].Incident})...)
	if screen := plain(m); !regexp.MustCompile(`… \d+ more lines: d shows everything`).MatchString(screen) {
		t.Errorf("the cut end screen does not say so:\n%s", screen)
	}
}

// TestRetriesShow: while the Fly API is retried, the screen says which
// call, which attempt failed and why, and when the next goes, counting down
// with the clock; the line goes when the call ends.
func TestRetriesShow(t *testing.T) {
	after := newScript("live").afterGate()
	upToHold := append(newScript("live").beforeGate(), after[:upTo(after, isKind(journal.KindHold))]...)
	call := "list machines of app " + testApp
	retry := func(attempt int, wait time.Duration) RetryMsg {
		return RetryMsg{Phase: runbook.PhaseSmoke, Call: call, Attempt: attempt, Max: 6, Wait: wait, Reason: "503 Service Unavailable"}
	}
	for _, size := range sizes {
		t.Run(sizeName(size.w, size.h), func(t *testing.T) {
			start := lastTS(upToHold)
			clk := clock.NewManual(start)
			msgs := append(append([]tea.Msg{}, upToHold...), retry(1, time.Second), retry(2, 4*time.Second))
			m := drive(t, Options{Now: clk.Now}, size.w, size.h, msgs...)
			screen := m.Render()
			golden.RequireEqual(t, []byte(screen))
			wantFits(t, screen, size.w, size.h)
			wantWhole(t, screen, call+": 503 Service Unavailable; attempt 2 of 6 failed, next in 4s", "stability hold")
			clk.Advance(2 * time.Second)
			m, _ = feed(t, m, tickMsg(time.Now()))
			wantWhole(t, plain(m), "attempt 2 of 6 failed, next in 2s")
			m, _ = feed(t, m, RetryMsg{Phase: runbook.PhaseSmoke, Call: call, Attempt: 3, Max: 6, Done: true})
			if strings.Contains(plain(m), "↻") {
				t.Errorf("the retry line stayed after the call ended:\n%s", plain(m))
			}
		})
	}
}

// TestSettleAndHoldShowEachMachine: the smoke walk shows each machine as
// the engine last saw it (image, state, checks, answers) and how long it
// has been good, ticking with the clock, at 60 and 120 columns.
func TestSettleAndHoldShowEachMachine(t *testing.T) {
	after := newScript("live").afterGate()
	upToHold := append(newScript("live").beforeGate(), after[:upTo(after, isKind(journal.KindHold))]...)
	var shown []journal.SmokeMachine
	var goodAt = map[string]time.Time{}
	for _, msg := range upToHold {
		if em, ok := msg.(EventMsg); ok {
			if sm, ok := em.Event.Data.(journal.SmokeMachine); ok {
				shown = append(shown, sm)
				if _, seen := goodAt[sm.ID]; sm.Good && !seen {
					goodAt[sm.ID] = em.Event.TS
				}
			}
		}
	}
	if len(shown) == 0 {
		t.Fatal("the recorded drill shows no machine in the smoke walk: go generate ./internal/incident")
	}
	for _, size := range sizes {
		t.Run(sizeName(size.w, size.h), func(t *testing.T) {
			start := lastTS(upToHold)
			clk := clock.NewManual(start.Add(12 * time.Second))
			m := drive(t, Options{Now: clk.Now}, size.w, size.h, append(upToHold, tickMsg(time.Now()))...)
			screen := plain(m)
			golden.RequireEqual(t, []byte(m.Render()))
			wantFits(t, m.Render(), size.w, size.h)
			if strings.Contains(screen, "walking every machine") {
				t.Errorf("the machines are known, yet the screen says it is walking them:\n%s", screen)
			}
			for _, sm := range shown {
				wantWhole(t, screen, fmt.Sprintf("%s ✓ image ✓ %s ✓ checks %d/%d ✓ answers good %s",
					sm.ID, sm.State, sm.ChecksPassing, sm.ChecksTotal, dur(clk.Now().Sub(goodAt[sm.ID]).Seconds())))
			}
			clk.Advance(time.Second)
			m, _ = feed(t, m, tickMsg(time.Now()))
			for _, sm := range shown {
				wantWhole(t, plain(m), sm.ID+" ✓ image", "good "+dur(clk.Now().Sub(goodAt[sm.ID]).Seconds()))
			}
		})
	}
}
