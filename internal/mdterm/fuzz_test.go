package mdterm

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/x/ansi"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// FuzzRender lays any Markdown out: it never panics, writes no escape code
// or other control character without colour, and loses no word of the
// text (read from the parse tree independently of the layout). How the
// tree reads Markdown is held to CommonMark by TestReadsAsCommonMark.
func FuzzRender(f *testing.F) {
	if md, err := os.ReadFile(recordedDraft); err == nil {
		f.Add(string(md))
	}
	for _, s := range []string{
		"# T\n\n- a\n  - b\n\n> q\n\n```\ncode\n```\n",
		"| a | b |\n|---|:-:|\n| 1 | 2 | 3 |\n| x \\| y |\n",
		"*a* **b** `c` [d](e) <https://f> ![g](h) <b>i</b>\n\n***\n",
		"bell\x07 esc\x1b[31m tab\tcr\r\n",
		// Links nested 30 deep: each link's text is read once, or this
		// takes 2^30 readings.
		strings.Repeat("[", 30) + "a" + strings.Repeat("](b)", 30),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, md string) {
		plain := Render(md, Options{Width: 1 << 16})
		if i := strings.IndexFunc(plain, func(r rune) bool { return r != '\n' && isControl(r) }); i >= 0 {
			t.Fatalf("control character %q at %d without colour:\n%q", plain[i:i+1], i, plain)
		}
		coloured := ansi.Strip(Render(md, Options{Width: 1 << 16, Color: true}))
		for _, w := range treeWords(parse(md)) {
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

// treeWords are the words of the text of paragraphs, headings, code and
// HTML as n's tree holds them.
func treeWords(n *node) []string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		switch n.kind {
		case kindText, kindCodeSpan, kindAutoLink, kindRawHTML:
			b.WriteString(sanitize(n.value) + " ")
		case kindCodeBlock, kindHTMLBlock:
			for _, l := range n.lines {
				b.WriteString(sanitize(l) + " ")
			}
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(n)
	return words(b.String())
}

// words splits text as the layout may: a pipe splits words (it separates
// table cells), and a word of only dashes and colons may be a table's
// delimiter row, which is drawn, not printed.
func words(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == '|' }) {
		if strings.Trim(w, "-:\uFFFD") != "" { // a delimiter row may end in \f or \v, shown as U+FFFD
			out = append(out, w)
		}
	}
	return out
}

// textWords are the words of md's text as CommonMark reads it, by another
// reader (goldmark's, linked by this test only): the text of paragraphs,
// headings, code and HTML. A pipe splits words (it
// separates table cells), and a word of only dashes and colons may be a
// table's delimiter row, which is drawn, not printed.
func textWords(md string) []string {
	// CommonMark reads CRLF as a line end; goldmark does not always.
	src := []byte(strings.ReplaceAll(md, "\r\n", "\n"))
	var b strings.Builder
	commonMark := parser.NewParser(
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(parser.DefaultInlineParsers()...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)
	textValue := func(raw []byte) string {
		return sanitize(string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(raw)))))
	}
	_ = ast.Walk(commonMark.Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			if _, code := n.Parent().(*ast.CodeSpan); code {
				b.WriteString(sanitize(string(n.Segment.Value(src))) + " ") // code is as written
				break
			}
			raw := n.Segment.Value(src)
			if n.HardLineBreak() || n.SoftLineBreak() {
				// An odd backslash before a line end makes a hard line break,
				// not text; goldmark leaves it in the text (and after an
				// escaped backslash reads no break).
				if k := len(raw) - len(bytes.TrimRight(raw, `\`)); k%2 == 1 {
					raw = raw[:len(raw)-1]
				}
			}
			b.WriteString(textValue(raw) + " ")
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
	return words(b.String())
}
