//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recordedJournal is a journal recorded from a db-boot-hang drill.
var recordedJournal = filepath.Join("..", "..", "internal", "incident", "testdata", "recorded", "db-boot-hang.ndjson")

// The post-mortem on a terminal is laid out: styled headings, no Markdown
// markers, the timeline drawn as a table within 80 columns. Under NO_COLOR
// the same layout carries no escape code; piped, it is the Markdown that -o
// writes, byte for byte.
func TestPostmortemOnATerminal(t *testing.T) {
	journalPath, err := filepath.Abs(recordedJournal)
	if err != nil {
		t.Fatal(err)
	}
	colour := func() *tenv {
		e := newEnv(t)
		delete(e.vars, "NO_COLOR")
		return e
	}

	// Piped, with a colour terminal's environment: the Markdown as written.
	piped := colour().set("TERM", "xterm-256color").run("postmortem", journalPath)
	wantCode(t, piped, 0)
	out := filepath.Join(t.TempDir(), "pm.md")
	wantCode(t, newEnv(t).run("postmortem", journalPath, "-o", out), 0)
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if piped.stdout != string(written) || strings.Contains(piped.stdout, "\x1b") {
		t.Errorf("piped output is not the Markdown -o writes:\n%s", clip(piped.stdout))
	}
	wantIn(t, "piped", piped.stdout, "\n## Timeline (UTC)\n", "| Time UTC |")

	for _, tt := range []struct {
		name   string
		env    *tenv
		styled bool
	}{
		{"colour", colour(), true},
		{"NO_COLOR", newEnv(t), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startTerm(t, tt.env, termOpts{cols: 80, rows: 40}, "postmortem", journalPath)
			if code := s.exitCode(20 * time.Second); code != 0 {
				t.Fatalf("exit %d:\n%s", code, s.screen())
			}
			// The whole scrollback, with the escape codes the pane holds.
			raw := s.tmux("-L", s.socket, "capture-pane", "-p", "-e", "-S", "-")
			if strings.Contains(raw, "\x1b[") != tt.styled {
				t.Errorf("escape codes on screen = %v, want %v:\n%s", !tt.styled, tt.styled, clip(raw))
			}
			screen := s.tmux("-L", s.socket, "capture-pane", "-p", "-S", "-")
			wantIn(t, "screen", screen, "Timeline (UTC)", "│ Time UTC │", "RECOVERED", "\n• ")
			for _, marker := range []string{"## ", "**", "|---|"} {
				if strings.Contains(screen, marker) {
					t.Errorf("Markdown marker %q on screen: the draft was not laid out:\n%s", marker, clip(screen))
				}
			}
			for _, l := range strings.Split(screen, "\n") {
				if strings.HasPrefix(l, "│ ") && strings.HasSuffix(strings.TrimRight(l, " "), "│") {
					return // a table row drawn whole on one line of 80 columns
				}
			}
			t.Errorf("no table row drawn within the terminal's width:\n%s", clip(screen))
		})
	}
}

// journal show on a terminal lays the events out as a list under the
// journal's name; piped, they are the plain lines, one an event.
func TestJournalShowOnATerminal(t *testing.T) {
	journalPath, err := filepath.Abs(recordedJournal)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	delete(e.vars, "NO_COLOR")
	e.set("TERM", "xterm-256color")
	piped := e.run("journal", "show", journalPath)
	wantCode(t, piped, 0)
	if strings.Contains(piped.stdout, "\x1b") || strings.Contains(piped.stdout, "• ") {
		t.Errorf("piped journal show is not plain lines:\n%s", clip(piped.stdout))
	}
	first, _, _ := strings.Cut(piped.stdout, "\n")

	s := startTerm(t, e, termOpts{cols: 80, rows: 40}, "journal", "show", journalPath)
	if code := s.exitCode(20 * time.Second); code != 0 {
		t.Fatalf("exit %d:\n%s", code, s.screen())
	}
	raw := s.tmux("-L", s.socket, "capture-pane", "-p", "-e", "-S", "-")
	if !strings.Contains(raw, "\x1b[") {
		t.Errorf("no styles on a colour terminal:\n%s", clip(raw))
	}
	screen := s.tmux("-L", s.socket, "capture-pane", "-p", "-J", "-S", "-")
	wantIn(t, "screen", screen, "db-boot-hang", "\n• ")
	// The first event's first words, laid out as a list item.
	if w := strings.Fields(first); len(w) < 2 || !strings.Contains(strings.Join(strings.Fields(screen), " "), w[0]+" "+w[1]) {
		t.Errorf("the first event %q is not on screen:\n%s", first, clip(screen))
	}
}
