package mdterm

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// recordedDraft is the post-mortem jpops drafts from a recorded replay of
// the 2026-05-11 incident, copied from the post-mortem's golden by -update
// so that a change to the drafts does not fail this package's tests.
var (
	recordedDraft = filepath.Join("testdata", "postmortem.md")
	draftGolden   = filepath.Join("..", "postmortem", "testdata", "replay-2026-05-11.golden.md")
)

// TestRenderGolden lays the recorded draft out at 80 columns with colour
// and without (NO_COLOR). Rerun with -update after an intended change and
// read the diff: the coloured golden shows with `less -R`.
func TestRenderGolden(t *testing.T) {
	if *update {
		b, err := os.ReadFile(draftGolden)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(recordedDraft, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	md, err := os.ReadFile(recordedDraft)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		color bool
	}{
		{"postmortem-80-color", true},
		{"postmortem-80-nocolor", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Render(string(md), Options{Width: 80, Color: tt.color})
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./internal/mdterm -run TestRenderGolden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("layout differs from %s (rerun with -update if intended):\n%s", golden, got)
			}
			if strings.Contains(got, "\x1b") != tt.color {
				t.Errorf("escape codes present = %v, want %v", !tt.color, tt.color)
			}
			for i, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				// Code blocks keep their lines; everything else fits.
				if w := ansi.StringWidth(l); w > 80 && !strings.HasPrefix(ansi.Strip(l), "  ") {
					t.Errorf("line %d is %d columns wide: %q", i+1, w, ansi.Strip(l))
				}
			}
		})
	}
}

// TestRenderBlocks checks each kind of block on its own, without colour.
func TestRenderBlocks(t *testing.T) {
	tests := []struct {
		name, md string
		width    int
		want     string
	}{
		{"heading 1", "# Title\n", 80, "Title\n=====\n"},
		{"heading 2", "## Part\n", 80, "Part\n----\n"},
		{"heading 3", "### Detail\n", 80, "### Detail\n"},
		{"wrapped paragraph", "one two three four five six\n", 10, "one two\nthree four\nfive six\n"},
		{"emphasis and code", "a *b* **c** `d`\n", 80, "a b c `d`\n"},
		{"escapes and entities", `\*not emphasis\* &amp; &#65;` + "\n", 80, "*not emphasis* & A\n"},
		{"link", "[docs](https://fly.io/docs)\n", 80, "docs (https://fly.io/docs)\n"},
		{"autolink", "<https://fly.io>\n", 80, "https://fly.io\n"},
		{"bullets with a hanging indent", "- one two three\n- four\n", 10, "• one two\n  three\n• four\n"},
		{"ordered list from 3", "3. a\n4. b\n", 80, "3. a\n4. b\n"},
		{"nested list", "- a\n  - b\n", 80, "• a\n  • b\n"},
		{"block quote", "> quoted\n", 80, "│ quoted\n"},
		{"fenced code kept as written", "```\nx  :=  1\n```\n", 80, "  x  :=  1\n"},
		{"thematic break", "a\n\n---\n\nb\n", 12, "a\n\n────────────\n\nb\n"},
		{"table", "| a | b |\n|---|--:|\n| 1 | 22 |\n", 80,
			"┌───┬────┐\n│ a │  b │\n├───┼────┤\n│ 1 │ 22 │\n└───┴────┘\n"},
		{"table with an escaped pipe and code", "| a | b |\n|---|---|\n| x \\| y | `z` |\n", 80,
			"┌───────┬─────┐\n│ a     │ b   │\n├───────┼─────┤\n│ x | y │ `z` │\n└───────┴─────┘\n"},
		{"pipes without a delimiter row stay text", "a | b\nc | d\n", 80, "a | b c | d\n"},
		{"control characters neutralised", "bell\x07 esc\x1b[31m\n", 80, "bell\uFFFD esc\uFFFD[31m\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.md, Options{Width: tt.width}); got != tt.want {
				t.Errorf("Render(%q, %d)\n got %q\nwant %q", tt.md, tt.width, got, tt.want)
			}
		})
	}
}

// TestRenderColour checks that colour adds styles and nothing else.
func TestRenderColour(t *testing.T) {
	md := "# T\n\nsome **bold** and `code`, [a link](https://x.example)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
	got := Render(md, Options{Width: 80, Color: true})
	if !strings.Contains(got, "\x1b[") {
		t.Fatalf("no styles in colour:\n%q", got)
	}
	if strings.Contains(got, "**") || strings.Contains(got, "`") {
		t.Errorf("Markdown markers left in the coloured layout:\n%s", got)
	}
	for _, w := range []string{"T", "bold", "code", "a link", "https://x.example", "a", "b", "1", "2"} {
		if !strings.Contains(ansi.Strip(got), w) {
			t.Errorf("%q missing from the coloured layout:\n%s", w, ansi.Strip(got))
		}
	}
}

// TestReadsAsCommonMark holds the reader to CommonMark on the Markdown
// jpops's drafts, its journals and an author's edits use: no word another
// CommonMark reader (goldmark, linked by this test only) finds in the text
// is missing from the layout. (Where goldmark departs from CommonMark, on
// a lone CR, a backslash after an escaped one, links nested deeper than it
// follows, inputs like those are left out.)
func TestReadsAsCommonMark(t *testing.T) {
	draft, err := os.ReadFile(recordedDraft)
	if err != nil {
		t.Fatal(err)
	}
	for _, md := range []string{
		string(draft),
		"# T\n\n- a\n  - b\n\n> q\n\n```\ncode\n```\n",
		"*a* **b** `c` [d](e) <https://f> ![g](h) <b>i</b>\n\n***\n",
		"integrity_check on /data/x_y.db: HANG_CONFIRMED, _not_ __bold__ snake_case_word\n",
		"***strong em*** *a **b** c* **a *b* c** *a*b* _a_b_ a*b*c *(a)* **\n",
		"[link](https://fly.io \"title\") [t](<a b>) [a [b](c) d](e) ![i [j](k)](l) [no link]\n",
		"&amp; &copy; &#65; &#x41; &nosuch; &#0; \\* \\_ \\` \\\\ \\a\n",
		"`` a`b `` ` a ` ``` x ``\n",
		"line one  \nline two\\\nline three\n",
		"Title\n=====\n\nSub\n---\n\n## ATX ##\n#not a heading\n",
		"- tight\n- list\n\n1. loose\n\n2. list\n\n3) other\n\n* star\n+ plus\n",
		"- a\n\n  more of a\n\n      code in a\n- b\nlazy b\n",
		"> quote\nlazy\n> > nested\n\n>\n",
		"<div>\n*raw*\n</div>\n\n<!-- comment -->\n\n<span>inline *html*</span>\n",
		"    indented code\n\n~~~ info\nfenced ~~~\n~~~\n\n```\nunclosed\n",
		"<https://fly.io/docs> <user@example.com> <not a link>\n",
		"| a | b |\n|---|:-:|\n| `x|y` | *e* |\n",
		"2. starts at two\n3. three\n\n- \n  empty first\n",
		"a\n1. one interrupts\n\nb\n2. two does not\n",
	} {
		got := Render(md, Options{Width: 1 << 16})
		for _, w := range textWords(md) {
			if !strings.Contains(got, w) {
				t.Errorf("Render(%q): word %q missing:\n%s", md, w, got)
			}
		}
	}
}
