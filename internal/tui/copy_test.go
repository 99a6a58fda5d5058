package tui

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// pressCopy presses c and returns what reached the clipboard ("" when
// nothing did) and the status line.
func pressCopy(t *testing.T, m Model) (copied, status string) {
	t.Helper()
	m, cmd := feed(t, m, keyPress("c"))
	if cmd != nil {
		if v := reflect.ValueOf(cmd()); v.Kind() == reflect.String {
			copied = v.String()
		}
	}
	return copied, m.status
}

// wantPasteable fails unless text is one command a shell runs as read: no
// backticks or other shell syntax, no deploy, no --yes.
func wantPasteable(t *testing.T, where, text string) {
	t.Helper()
	if strings.ContainsAny(text, "`;&|$<>()\n#") {
		t.Errorf("%s: copied %q, which holds shell syntax", where, text)
	}
	f := strings.Fields(text)
	if len(f) < 2 || (f[0] != "jpops" && f[0] != "flyctl") {
		t.Errorf("%s: copied %q, not a jpops or flyctl command", where, text)
	}
	for _, a := range f {
		if a == "deploy" || a == "--yes" || a == "-y" || a == "--force" {
			t.Errorf("%s: copied %q, which holds %s", where, text, a)
		}
	}
}

// TestCopyOverEveryRecordedDrill plays every recorded drill (each scenario
// and steering the recorder drives through the engine) into the UI and
// presses c after every verdict and at the end: what is copied is the
// advice's command and safe to paste; when nothing is, the status says why.
func TestCopyOverEveryRecordedDrill(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "incident", "testdata", "recorded", "*"+journal.Ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded drills: %v", err)
	}
	copies := 0
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), journal.Ext)
		t.Run(name, func(t *testing.T) {
			s := readScript(name, journal.ModeDrill)
			m := newTest(Options{})
			var end journal.IncidentEnd
			for _, e := range s.events {
				m, _ = feed(t, m, EventMsg{Event: e})
				var want advice.Advice
				switch d := e.Data.(type) {
				case journal.Verdict:
					want = d.Advice()
				case journal.IncidentEnd:
					end = d
					continue
				default:
					continue
				}
				checkCopy(t, m, fmt.Sprintf("%s seq %d", name, e.Seq), want, &copies)
			}
			m, _ = feed(t, m, DoneMsg{Verdict: end.Verdict, ExitCode: end.ExitCode, Incident: s.events[0].Incident, Next: end.Advice()})
			checkCopy(t, m, name+" at the end", end.Advice(), &copies)
		})
	}
	if copies == 0 {
		t.Error("no recorded drill gave a command to copy: the test proves nothing")
	}
}

func checkCopy(t *testing.T, m Model, where string, want advice.Advice, copies *int) {
	t.Helper()
	copied, status := pressCopy(t, m)
	if want.Command != "" {
		// The engine only ever advises commands safe to paste.
		if copied != want.Command || status != "copied: "+want.Command {
			t.Errorf("%s: copied %q (status %q), want the advice's command %q", where, copied, status, want.Command)
		}
		wantPasteable(t, where, copied)
		*copies++
		return
	}
	if copied != "" {
		t.Errorf("%s: copied %q from advice with no command (%q)", where, copied, want.Note)
	}
	if !strings.HasPrefix(status, "nothing to copy: ") || len(status) < len("nothing to copy: ")+10 {
		t.Errorf("%s: status %q does not say why nothing was copied", where, status)
	}
}

// TestCopyWhileTheRunGoesOn: a verdict's advice is copied while it is the
// latest word; once the run has gone on to the next phase (the deploy) it
// is not, and the status says why.
func TestCopyWhileTheRunGoesOn(t *testing.T) {
	s := newScript("live")
	all := msgs(s.events)
	verdictAt := upTo(all, isKind(journal.KindVerdict))
	m, _ := feed(t, newTest(Options{}), all[:verdictAt]...)
	if copied, status := pressCopy(t, m); copied != "jpops run -a "+testApp {
		t.Errorf("at phase 2's verdict: copied %q (status %q), want its jpops run", copied, status)
	}
	m, _ = feed(t, m, all[verdictAt:upTo(all, isKind(journal.KindCommandOutput))]...)
	copied, status := pressCopy(t, m)
	if copied != "" || !strings.Contains(status, "nothing to copy: the run went on") {
		t.Errorf("during the deploy: copied %q (status %q), want nothing: phase 2's advice no longer holds", copied, status)
	}
}

// TestCopyRefusesUnsafeAdvice: whatever advice reaches the UI (a journal
// from an older jpops, a hand-edited one), c copies only a command safe to
// paste and otherwise says why not.
func TestCopyRefusesUnsafeAdvice(t *testing.T) {
	tests := []struct {
		name string
		next advice.Advice
		want string // copied; "" = nothing
		why  string // in the status when nothing is copied
	}{
		{"a gated jpops command", advice.Advice{Command: "jpops run -a " + testApp, Note: "when ready"}, "jpops run -a " + testApp, ""},
		{"a read-only flyctl command", advice.Advice{Command: "flyctl machine list -a " + testApp}, "flyctl machine list -a " + testApp, ""},
		{"the deploy", advice.Advice{Command: escapeCL}, "", "deploys"},
		{"a gate passed in advance", advice.Advice{Command: "jpops resume X --yes"}, "", "--yes"},
		{"two commands", advice.Advice{Command: "jpops run -a app; flyctl deploy"}, "", "shell syntax"},
		{"a destructive flyctl command", advice.Advice{Command: "flyctl machine destroy 123"}, "", "change machines"},
		{"prose in backticks, as journals before next_note held it", advice.Legacy("rerun `" + escapeCL + "` by hand, or check `flyctl releases -a app`"), "", "a note"},
		{"a note alone", advice.Noted("rerun from the deploy directory (--dir DIR)"), "", "a note"},
		{"no advice", advice.Advice{}, "", "no next step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := feed(t, newTest(Options{}), DoneMsg{Verdict: verdict.EscapeFailed, ExitCode: 20, Next: tt.next})
			copied, status := pressCopy(t, m)
			if copied != tt.want {
				t.Fatalf("copied %q, want %q (status %q)", copied, tt.want, status)
			}
			if tt.want != "" {
				wantPasteable(t, tt.name, copied)
				if !strings.Contains(plain(m), tt.next.Note) {
					t.Errorf("the note %q is not on the end screen", tt.next.Note)
				}
				return
			}
			if !strings.HasPrefix(status, "nothing to copy: ") || !strings.Contains(status, tt.why) {
				t.Errorf("status %q, want it to say nothing was copied because %q", status, tt.why)
			}
		})
	}
}

// TestCommandAndNoteShownApart: the end screen and the summary label the
// command and the note on lines of their own.
func TestCommandAndNoteShownApart(t *testing.T) {
	next := advice.Advice{Command: "flyctl releases -a " + testApp, Note: "see whether a release went out"}
	m, _ := feed(t, newTest(Options{}), tea.WindowSizeMsg{Width: 120, Height: 40},
		DoneMsg{Verdict: verdict.EscapeFailed, ExitCode: 20, Next: next})
	for name, text := range map[string]string{"end screen": plain(m), "summary": Summary(m)} {
		var cmdLine, noteLine string
		for _, l := range strings.Split(text, "\n") {
			switch {
			case strings.Contains(l, next.Command):
				cmdLine = l
			case strings.Contains(l, next.Note):
				noteLine = l
			}
		}
		if !strings.Contains(cmdLine, "next") || strings.Contains(cmdLine, next.Note) {
			t.Errorf("%s: command line %q, want the command alone under next", name, cmdLine)
		}
		if !strings.Contains(noteLine, "note") {
			t.Errorf("%s: note line %q, want the note under its own label", name, noteLine)
		}
	}
}
