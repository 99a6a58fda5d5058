package mdterm

import (
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/x/ansi"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// FuzzRender lays any Markdown out: it never panics, writes no escape code
// or other control character without colour, and loses no word of the
// text (read from the parse tree independently of the layout).
func FuzzRender(f *testing.F) {
	if md, err := os.ReadFile(recordedDraft); err == nil {
		f.Add(string(md))
	}
	for _, s := range []string{
		"# T\n\n- a\n  - b\n\n> q\n\n```\ncode\n```\n",
		"| a | b |\n|---|:-:|\n| 1 | 2 | 3 |\n| x \\| y |\n",
		"*a* **b** `c` [d](e) <https://f> ![g](h) <b>i</b>\n\n***\n",
		"bell\x07 esc\x1b[31m tab\tcr\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, md string) {
		plain := Render(md, Options{Width: 1 << 16})
		if i := strings.IndexFunc(plain, func(r rune) bool { return r != '\n' && isControl(r) }); i >= 0 {
			t.Fatalf("control character %q at %d without colour:\n%q", plain[i:i+1], i, plain)
		}
		coloured := ansi.Strip(Render(md, Options{Width: 1 << 16, Color: true}))
		for _, w := range textWords(md) {
			if !strings.Contains(plain, w) {
				t.Fatalf("word %q lost without colour:\n%s", w, plain)
			}
			if !strings.Contains(coloured, w) {
				t.Fatalf("word %q lost in colour:\n%s", w, coloured)
			}
		}
		// Narrow terminals wrap and squeeze tables; still no panic and no
		// control characters.
		narrow := Render(md, Options{Width: 12})
		if strings.ContainsFunc(narrow, func(r rune) bool { return r != '\n' && isControl(r) }) {
			t.Fatalf("control character at 12 columns:\n%q", narrow)
		}
	})
}

// textWords are the words of md's text as its parse tree holds it: the
// text of paragraphs, headings, code and HTML. A pipe splits words (it
// separates table cells), and a word of only dashes and colons may be a
// table's delimiter row, which is drawn, not printed.
func textWords(md string) []string {
	src := []byte(md)
	var b strings.Builder
	_ = ast.Walk(newParser().Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			b.WriteString(textValue(n.Segment.Value(src)) + " ")
		case *ast.String:
			b.WriteString(sanitize(string(n.Value)) + " ")
		case *ast.AutoLink:
			b.WriteString(sanitize(string(n.URL(src))) + " ")
		case *ast.RawHTML:
			for i := range n.Segments.Len() {
				seg := n.Segments.At(i)
				b.WriteString(sanitize(string(seg.Value(src))) + " ")
			}
		case *ast.CodeBlock, *ast.FencedCodeBlock, *ast.HTMLBlock:
			for i := range n.Lines().Len() {
				seg := n.Lines().At(i)
				b.WriteString(sanitize(string(seg.Value(src))) + " ")
			}
		}
		return ast.WalkContinue, nil
	})
	var words []string
	for _, w := range strings.FieldsFunc(b.String(), func(r rune) bool { return unicode.IsSpace(r) || r == '|' }) {
		if strings.Trim(w, "-:") != "" {
			words = append(words, w)
		}
	}
	return words
}
