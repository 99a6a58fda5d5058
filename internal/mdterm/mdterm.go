// Package mdterm lays Markdown out for a person at a terminal: headings,
// emphasis, lists, block quotes, tables, code and links, wrapped to the
// terminal's width, styled with Lip Gloss, or laid out without a single
// escape code when colour is off.
//
// It parses with goldmark's CommonMark parser and walks the tree itself.
// Neither glamour (its syntax highlighter's registries cost every jpops
// command tens of milliseconds at start-up) nor goldmark's extension
// package (its link-detection regexps, compiled at start-up, cost several
// milliseconds more) is linked: tables, the one extension jpops's drafts
// use, are recognised here from the paragraph CommonMark leaves them as.
// Code is not highlighted.
package mdterm

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
	"github.com/charmbracelet/x/ansi"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Options say how to lay the Markdown out.
type Options struct {
	Width int  // columns to wrap to; 80 when not positive
	Color bool // bold, italics and colours; false: layout only, no escape codes
}

// Render lays md out for a terminal. It never fails: what it does not
// recognise is shown as written.
func Render(md string, o Options) string {
	if o.Width <= 0 {
		o.Width = 80
	}
	src := []byte(md)
	doc := newParser().Parse(text.NewReader(src))
	r := &renderer{src: src, color: o.Color}
	lines := r.blocks(doc, max(o.Width, 10))
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// newParser is CommonMark without extensions.
func newParser() parser.Parser {
	return parser.NewParser(
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(parser.DefaultInlineParsers()...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)
}

// The styles use the 16 colours a terminal's theme sets, so they read on a
// dark background and a light one.
var (
	styleH1        = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Magenta)
	styleH2        = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Blue)
	styleH3        = lipgloss.NewStyle().Bold(true)
	styleCode      = lipgloss.NewStyle().Foreground(lipgloss.Cyan)
	styleLink      = lipgloss.NewStyle().Foreground(lipgloss.Blue)
	styleFaint     = lipgloss.NewStyle().Faint(true)
	styleTableHead = lipgloss.NewStyle().Bold(true)
)

type renderer struct {
	src   []byte
	color bool
}

// style applies s when colour is on.
func (r *renderer) style(s lipgloss.Style, str string) string {
	if !r.color || str == "" {
		return str
	}
	return s.Render(str)
}

// blocks lays out the block children of n in width columns, a blank line
// between blocks (none inside a tight list item).
func (r *renderer) blocks(n ast.Node, width int) []string {
	tight := false
	if _, ok := n.(*ast.ListItem); ok {
		if l, ok := n.Parent().(*ast.List); ok {
			tight = l.IsTight
		}
	}
	var out []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		lines := r.block(c, width)
		if len(lines) == 0 {
			continue
		}
		if len(out) > 0 && !tight {
			out = append(out, "")
		}
		out = append(out, lines...)
	}
	return out
}

func (r *renderer) block(n ast.Node, width int) []string {
	switch n := n.(type) {
	case *ast.Heading:
		return r.heading(n, width)
	case *ast.Paragraph, *ast.TextBlock:
		if t := r.table(n, width); t != nil {
			return t
		}
		return r.wrap(r.inline(n, lipgloss.NewStyle()), width)
	case *ast.ThematicBreak:
		return []string{r.style(styleFaint, strings.Repeat("─", min(width, 80)))}
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		var out []string
		for _, l := range r.rawLines(n) {
			out = append(out, "  "+r.style(styleCode, expandTabs(l)))
		}
		if len(out) == 0 {
			out = []string{""} // an empty fence still takes its place
		}
		return out
	case *ast.HTMLBlock:
		lines := r.rawLines(n)
		if n.HasClosure() {
			lines = append(lines, sanitize(strings.TrimRight(string(n.ClosureLine.Value(r.src)), "\r\n")))
		}
		return lines
	case *ast.Blockquote:
		inner := r.blocks(n, width-2)
		bar := r.style(styleFaint, "│") + " "
		for i, l := range inner {
			inner[i] = strings.TrimRight(bar+l, " ")
		}
		return inner
	case *ast.List:
		return r.list(n, width)
	}
	if n.HasChildren() {
		return r.blocks(n, width)
	}
	return nil
}

func (r *renderer) heading(n *ast.Heading, width int) []string {
	s := lipgloss.NewStyle()
	if r.color {
		switch n.Level {
		case 1:
			s = styleH1
		case 2:
			s = styleH2
		default:
			s = styleH3
		}
		return r.wrap(r.inline(n, s), width)
	}
	// Without colour the level shows as an underline (= and -) or the
	// Markdown hashes it was written with.
	t := r.inline(n, s)
	if n.Level > 2 {
		return r.wrap(strings.Repeat("#", n.Level)+" "+t, width)
	}
	lines := r.wrap(t, width)
	w := 0
	for _, l := range lines {
		w = max(w, ansi.StringWidth(l))
	}
	mark := "="
	if n.Level == 2 {
		mark = "-"
	}
	return append(lines, strings.Repeat(mark, max(w, 1)))
}

func (r *renderer) list(n *ast.List, width int) []string {
	var out []string
	num := n.Start
	for item := n.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "• "
		if n.IsOrdered() {
			marker = strconv.Itoa(num) + string(n.Marker) + " "
			num++
		}
		pad := strings.Repeat(" ", utf8.RuneCountInString(marker))
		inner := r.blocks(item, width-len(pad))
		if len(out) > 0 && !n.IsTight {
			out = append(out, "")
		}
		if len(inner) == 0 {
			inner = []string{""}
		}
		for i, l := range inner {
			p := pad
			if i == 0 {
				p = r.style(styleFaint, marker)
			}
			if l == "" && i > 0 {
				out = append(out, "")
				continue
			}
			out = append(out, strings.TrimRight(p+l, " "))
		}
	}
	return out
}

// wrap word-wraps s (which may carry styles) to width, breaking a word
// only when it is wider than a line.
func (r *renderer) wrap(s string, width int) []string {
	lines := strings.Split(lipgloss.Wrap(s, max(width, 1), ""), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return lines
}

// rawLines are a code or HTML block's lines as written, without their
// line ends.
func (r *renderer) rawLines(n ast.Node) []string {
	var out []string
	segs := n.Lines()
	for i := range segs.Len() {
		seg := segs.At(i)
		out = append(out, sanitize(strings.TrimRight(string(seg.Value(r.src)), "\r\n")))
	}
	return out
}

// inline renders n's inline children as one string, styled with s and
// what the children add to it.
func (r *renderer) inline(n ast.Node, s lipgloss.Style) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		r.inlineNode(&b, c, s)
	}
	return b.String()
}

func (r *renderer) inlineNode(b *strings.Builder, n ast.Node, s lipgloss.Style) {
	switch n := n.(type) {
	case *ast.Text:
		b.WriteString(r.style(s, textValue(n.Segment.Value(r.src))))
		switch {
		case n.HardLineBreak():
			b.WriteString("\n")
		case n.SoftLineBreak():
			b.WriteString(" ")
		}
	case *ast.String:
		v := string(n.Value)
		if !n.IsCode() && !n.IsRaw() {
			v = textValue(n.Value)
		}
		b.WriteString(r.style(s, sanitize(v)))
	case *ast.CodeSpan:
		code := r.codeText(n)
		if !r.color {
			code = "`" + code + "`"
		}
		b.WriteString(r.style(s.Inherit(styleCode), code))
	case *ast.Emphasis:
		if n.Level >= 2 {
			s = s.Bold(true)
		} else {
			s = s.Italic(true)
		}
		b.WriteString(r.inline(n, s))
	case *ast.Link:
		label := r.inline(n, s.Inherit(styleLink))
		dest := sanitize(string(n.Destination))
		b.WriteString(label)
		if dest != "" && ansi.Strip(label) != dest {
			b.WriteString(r.style(styleFaint, " ("+dest+")"))
		}
	case *ast.Image:
		alt := r.inline(n, s)
		dest := sanitize(string(n.Destination))
		b.WriteString(r.style(s, "[image: ") + alt + r.style(s, "]"))
		if dest != "" {
			b.WriteString(r.style(styleFaint, " ("+dest+")"))
		}
	case *ast.AutoLink:
		b.WriteString(r.style(s.Inherit(styleLink), sanitize(string(n.URL(r.src)))))
	case *ast.RawHTML:
		for i := range n.Segments.Len() {
			seg := n.Segments.At(i)
			b.WriteString(r.style(s, sanitize(string(seg.Value(r.src)))))
		}
	default:
		b.WriteString(r.inline(n, s))
	}
}

// codeText is a code span's text, as written.
func (r *renderer) codeText(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(r.src))
		case *ast.String:
			b.Write(c.Value)
		}
	}
	return sanitize(b.String())
}

// textValue is what Markdown text reads as: backslash escapes and
// character references resolved, control characters made harmless.
func textValue(raw []byte) string {
	v := util.UnescapePunctuations(raw)
	v = util.ResolveNumericReferences(v)
	v = util.ResolveEntityNames(v)
	return sanitize(string(v))
}

// sanitize replaces control characters (an escape code written into a
// journal by a hostile log line, say) with U+FFFD, so nothing but this
// package's own styles reaches the terminal, tabs with a space, and
// bytes that are not UTF-8 with U+FFFD.
func sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r == '\n':
			return r
		case isControl(r):
			return utf8.RuneError
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0))
}

func expandTabs(s string) string { return strings.ReplaceAll(s, "\t", "    ") }

// table lays out a paragraph written as a GitHub-flavoured table (a row of
// cells, a delimiter row of dashes, more rows); nil if n is not one.
func (r *renderer) table(n ast.Node, width int) []string {
	segs := n.Lines()
	if segs.Len() < 2 {
		return nil
	}
	first, second := segs.At(0), segs.At(1)
	aligns, ok := delimiterRow(string(second.Value(r.src)))
	if !ok || !strings.Contains(string(first.Value(r.src)), "|") {
		return nil
	}
	// Cell boundaries: the unescaped pipes of each line, outside code.
	type span struct{ start, stop int }
	var rows [][]span
	for i := range segs.Len() {
		if i == 1 {
			continue
		}
		seg := segs.At(i)
		line := r.src[seg.Start:seg.Stop]
		var cells []span
		start, ticks := 0, 0
		for j := 0; j < len(line); j++ {
			switch c := line[j]; {
			case c == '\\':
				j++
			case c == '`':
				ticks ^= 1
			case c == '|' && ticks == 0:
				cells = append(cells, span{seg.Start + start, seg.Start + j})
				start = j + 1
			}
		}
		cells = append(cells, span{seg.Start + start, seg.Stop})
		// A leading and a trailing pipe open and close the row.
		if len(cells) > 1 && strings.TrimSpace(string(r.src[cells[0].start:cells[0].stop])) == "" {
			cells = cells[1:]
		}
		if last := cells[len(cells)-1]; len(cells) > 1 && strings.TrimSpace(string(r.src[last.start:last.stop])) == "" {
			cells = cells[:len(cells)-1]
		}
		rows = append(rows, cells)
	}
	ncol := len(aligns)
	if len(rows[0]) != ncol {
		return nil // GitHub's rule: the header and the delimiter row agree
	}
	// Each inline node goes to the cell it starts in; text is cut at the
	// cell boundaries.
	text := make([][]strings.Builder, len(rows))
	for i := range text {
		text[i] = make([]strings.Builder, len(rows[i]))
	}
	cellOf := func(pos int) (int, int) {
		for ri, row := range rows {
			for ci, c := range row {
				if pos >= c.start && pos < c.stop {
					return ri, ci
				}
			}
		}
		return -1, -1
	}
	base := lipgloss.NewStyle()
	next := 0 // where the node after the last text starts
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			next = t.Segment.Stop
			for ri, row := range rows {
				for ci, cell := range row {
					lo, hi := max(cell.start, t.Segment.Start), min(cell.stop, t.Segment.Stop)
					if lo < hi {
						text[ri][ci].WriteString(r.style(base, textValue(r.src[lo:hi])))
					}
				}
			}
			continue
		}
		pos := nodeStart(c)
		if pos < 0 {
			pos = next
		}
		if ri, ci := cellOf(pos); ri >= 0 {
			r.inlineNode(&text[ri][ci], c, base)
		}
	}
	// A row with fewer cells than the header gets empty ones; one with
	// more keeps the extra cells in its last column rather than lose them.
	cells := make([][]string, len(rows))
	for ri := range rows {
		cells[ri] = make([]string, ncol)
		for ci := range text[ri] {
			v := strings.TrimSpace(text[ri][ci].String())
			if ci < ncol {
				cells[ri][ci] = v
			} else if v != "" {
				cells[ri][ncol-1] = strings.TrimSpace(cells[ri][ncol-1] + " | " + v)
			}
		}
	}
	widths := columnWidths(cells, width-(ncol+1)-2*ncol)
	for ri := 1; ri < len(cells); ri++ { // a header cell stays on one line: the table draws it so
		for ci := range cells[ri] {
			cells[ri][ci] = strings.Join(r.wrap(cells[ri][ci], widths[ci]), "\n")
		}
	}
	t := table.New().Border(lipgloss.NormalBorder()).Headers(cells[0]...).Rows(cells[1:]...).
		StyleFunc(func(row, col int) lipgloss.Style {
			s := lipgloss.NewStyle().Padding(0, 1).Align(aligns[col])
			if row == table.HeaderRow && r.color {
				s = s.Inherit(styleTableHead)
			}
			return s
		})
	if r.color {
		t = t.BorderStyle(styleFaint)
	}
	return strings.Split(t.String(), "\n")
}

// delimiterRow reads a table's second line, like |---|:--:|--:|, into the
// columns' alignments.
func delimiterRow(s string) ([]lipgloss.Position, bool) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "-") || strings.Trim(s, "|-: \t") != "" {
		return nil, false
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "|"), "|")
	var out []lipgloss.Position
	for _, c := range strings.Split(s, "|") {
		c = strings.TrimSpace(c)
		if strings.Trim(c, ":") == "" || strings.Trim(c, "-:") != "" || strings.Contains(strings.Trim(c, ":"), ":") {
			return nil, false
		}
		switch {
		case strings.HasPrefix(c, ":") && strings.HasSuffix(c, ":"):
			out = append(out, lipgloss.Center)
		case strings.HasSuffix(c, ":"):
			out = append(out, lipgloss.Right)
		default:
			out = append(out, lipgloss.Left)
		}
	}
	return out, true
}

// nodeStart is where an inline node starts in the source: its first
// text's position.
func nodeStart(n ast.Node) int {
	if t, ok := n.(*ast.Text); ok {
		return t.Segment.Start
	}
	if h, ok := n.(*ast.RawHTML); ok && h.Segments.Len() > 0 {
		return h.Segments.At(0).Start
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if p := nodeStart(c); p >= 0 {
			return p
		}
	}
	return -1
}

// columnWidths gives each column its widest cell when the table fits in
// avail columns; otherwise each gets at least its header and its longest
// word (up to a share of the width), and the rest goes to the columns with
// the most text.
func columnWidths(cells [][]string, avail int) []int {
	ncol := len(cells[0])
	natural, least := make([]int, ncol), make([]int, ncol)
	for _, row := range cells {
		for ci, c := range row {
			natural[ci] = max(natural[ci], ansi.StringWidth(c), 1)
			for _, w := range strings.Fields(ansi.Strip(c)) {
				least[ci] = max(least[ci], ansi.StringWidth(w))
			}
		}
	}
	sum := 0
	for _, w := range natural {
		sum += w
	}
	if sum <= avail {
		return natural
	}
	share := max(avail/ncol, 8)
	total, slack := 0, 0
	for ci := range least {
		least[ci] = max(min(least[ci], share, natural[ci]), ansi.StringWidth(cells[0][ci]), 1)
		total += least[ci]
		slack += natural[ci] - least[ci]
	}
	rest := avail - total
	if rest <= 0 || slack == 0 {
		return least
	}
	out := make([]int, ncol)
	for ci := range out {
		out[ci] = least[ci] + rest*(natural[ci]-least[ci])/slack
	}
	return out
}
