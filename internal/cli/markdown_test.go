package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/postmortem"
)

// recordedJournal is a journal recorded from a db-boot-hang drill.
var recordedJournal = filepath.Join("..", "incident", "testdata", "recorded", "db-boot-hang.ndjson")

// TestPostmortemFaces renders the draft of a recorded journal on a colour
// terminal, on a terminal under NO_COLOR, piped, and to a file with -o.
func TestPostmortemFaces(t *testing.T) {
	events, err := journal.Read(recordedJournal)
	if err != nil {
		t.Fatal(err)
	}
	md := postmortem.Render(events, postmortem.Options{})
	firstHeading := ""
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "# ") {
			firstHeading = strings.TrimPrefix(l, "# ")
			break
		}
	}
	if firstHeading == "" {
		t.Fatalf("the draft has no heading:\n%s", md)
	}
	tests := []struct {
		name     string
		tty      bool
		vars     map[string]string
		colour   bool
		args     []string
		rendered bool
	}{
		{name: "colour terminal", tty: true, colour: true, rendered: true},
		{name: "terminal with NO_COLOR", tty: true, vars: map[string]string{"NO_COLOR": "1"}, rendered: true},
		{name: "dumb terminal", tty: true, colour: true, vars: map[string]string{"TERM": "dumb"}},
		{name: "piped"},
		{name: "-o FILE on a terminal", tty: true, colour: true, args: []string{"-o"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, _ := testFactory(t, tt.tty, tt.vars)
			f.IO.SetNoColor(!tt.colour)
			args := []string{recordedJournal}
			file := filepath.Join(t.TempDir(), "pm.md")
			if len(tt.args) > 0 {
				args = append(args, "-o", file)
			}
			if code, err := execute(t, NewCmdPostmortem(f, nil), args...); code != 0 {
				t.Fatalf("exit %d: %v", code, err)
			}
			got := out.String()
			if len(tt.args) > 0 {
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != md {
					t.Errorf("-o wrote something other than the Markdown draft")
				}
				if got != "" {
					t.Errorf("-o also wrote %q to standard output", got)
				}
				return
			}
			hasEsc := strings.Contains(got, "\x1b")
			flat := strings.Join(strings.Fields(ansi.Strip(got)), " ")
			switch {
			case !tt.rendered && got != md:
				t.Errorf("not the Markdown as written:\n%s", got)
			case tt.rendered && (got == md || !strings.Contains(flat, firstHeading) || tt.colour && strings.Contains(got, "**")):
				t.Errorf("not rendered (the heading %q should show and, in colour, no ** of bold text):\n%s", firstHeading, got)
			case tt.colour && tt.rendered != hasEsc:
				t.Errorf("escape codes %v, want %v", hasEsc, tt.colour && tt.rendered)
			}
		})
	}
}

// TestJournalShowFaces shows a recorded journal on a terminal as a
// rendered list, and piped as the plain lines, unchanged.
func TestJournalShowFaces(t *testing.T) {
	piped, out, _ := testFactory(t, false, nil)
	if code, err := execute(t, NewCmdJournalShow(piped, nil), recordedJournal); code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	plain := out.String()
	lines := strings.Split(strings.TrimSuffix(plain, "\n"), "\n")
	if len(lines) < 5 || strings.Contains(plain, "\x1b") || strings.HasPrefix(plain, "#") {
		t.Fatalf("piped journal show is not plain event lines:\n%s", plain)
	}
	for _, colour := range []bool{true, false} {
		f, out, _ := testFactory(t, true, nil)
		f.IO.SetNoColor(!colour)
		if code, err := execute(t, NewCmdJournalShow(f, nil), recordedJournal); code != 0 {
			t.Fatalf("exit %d: %v", code, err)
		}
		got := out.String()
		if strings.Contains(got, "\x1b") != colour || !strings.Contains(got, "db-boot-hang") {
			t.Errorf("colour %v: escape codes %v, or no title:\n%s", colour, strings.Contains(got, "\x1b"), got)
		}
		// Every event is there: the first words of each plain line.
		flat := strings.Join(strings.Fields(got), " ")
		for _, l := range lines {
			w := strings.Fields(l)
			if probe := strings.Join(w[:min(2, len(w))], " "); !strings.Contains(flat, probe) {
				t.Errorf("colour %v: line %q missing from the rendered list", colour, l)
				break
			}
		}
	}
}
