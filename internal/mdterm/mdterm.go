// Package mdterm lays Markdown out for a person at a terminal: headings,
// emphasis, lists, block quotes, tables, code and links, wrapped to the
// terminal's width, styled with Lip Gloss, or laid out without a single
// escape code when colour is off.
//
// It reads the Markdown itself (parse.go: CommonMark's blocks and inlines,
// without link reference definitions) and walks the tree. No Markdown
// library is linked: glamour's syntax highlighter builds its registries at
// start-up (tens of milliseconds for every jpops command), and goldmark's
// package initialisation cost every command about 1.4 M instructions and
// 110 page faults, more than the rest of jpops's own start-up. Tables,
// the one extension jpops's drafts use, are recognised from the paragraph
// CommonMark leaves them as. Code is not highlighted.
package mdterm

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
	"github.com/charmbracelet/x/ansi"
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
	r := &renderer{color: o.Color}
	lines := r.blocks(parse(md), max(o.Width, 10))
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
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
func (r *renderer) blocks(n *node, width int) []string {
	tight := n.kind == kindListItem && n.parent != nil && n.parent.tight
	var out []string
	for _, c := range n.children {
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

func (r *renderer) block(n *node, width int) []string {
	switch n.kind {
	case kindHeading:
		return r.heading(n, width)
	case kindTable:
		return r.table(n, width)
	case kindParagraph:
		return r.wrap(r.inline(n, lipgloss.NewStyle()), width)
	case kindThematicBreak:
		return []string{r.style(styleFaint, strings.Repeat("─", min(width, 80)))}
	case kindCodeBlock:
		var out []string
		for _, l := range rawLines(n) {
			out = append(out, "  "+r.style(styleCode, expandTabs(l)))
		}
		if len(out) == 0 {
			out = []string{""} // an empty fence still takes its place
		}
		return out
	case kindHTMLBlock:
		return rawLines(n)
	case kindBlockquote:
		inner := r.blocks(n, width-2)
		bar := r.style(styleFaint, "│") + " "
		for i, l := range inner {
			inner[i] = strings.TrimRight(bar+l, " ")
		}
		return inner
	case kindList:
		return r.list(n, width)
	}
	return r.blocks(n, width)
}

func (r *renderer) heading(n *node, width int) []string {
	s := lipgloss.NewStyle()
	if r.color {
		switch n.level {
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
	if n.level > 2 {
		return r.wrap(strings.Repeat("#", n.level)+" "+t, width)
	}
	lines := r.wrap(t, width)
	w := 0
	for _, l := range lines {
		w = max(w, ansi.StringWidth(l))
	}
	mark := "="
	if n.level == 2 {
		mark = "-"
	}
	return append(lines, strings.Repeat(mark, max(w, 1)))
}

func (r *renderer) list(n *node, width int) []string {
	var out []string
	num := n.start
	for _, item := range n.children {
		marker := "• "
		if n.ordered {
			marker = strconv.Itoa(num) + string(n.marker) + " "
			num++
		}
		pad := strings.Repeat(" ", utf8.RuneCountInString(marker))
		inner := r.blocks(item, width-len(pad))
		if len(out) > 0 && !n.tight {
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

// rawLines are a code or HTML block's lines as written.
func rawLines(n *node) []string {
	out := make([]string, 0, len(n.lines))
	for _, l := range n.lines {
		out = append(out, sanitize(l))
	}
	return out
}

// inline renders n's inline children as one string, styled with s and
// what the children add to it. Text that follows text is styled as one
// run, up to a hard line break.
func (r *renderer) inline(n *node, s lipgloss.Style) string {
	var b, run strings.Builder
	flush := func() {
		b.WriteString(r.style(s, run.String()))
		run.Reset()
	}
	for _, c := range n.children {
		if c.kind != kindText {
			flush()
			r.inlineNode(&b, c, s)
			continue
		}
		run.WriteString(sanitize(c.value))
		switch {
		case c.hard:
			flush()
			b.WriteString("\n")
		case c.soft:
			run.WriteString(" ")
		}
	}
	flush()
	return b.String()
}

func (r *renderer) inlineNode(b *strings.Builder, n *node, s lipgloss.Style) {
	switch n.kind {
	case kindCodeSpan:
		code := sanitize(n.value)
		if !r.color {
			code = "`" + code + "`"
		}
		b.WriteString(r.style(s.Inherit(styleCode), code))
	case kindEmphasis:
		if n.level >= 2 {
			s = s.Bold(true)
		} else {
			s = s.Italic(true)
		}
		b.WriteString(r.inline(n, s))
	case kindLink:
		label := r.inline(n, s.Inherit(styleLink))
		dest := sanitize(n.value)
		b.WriteString(label)
		if dest != "" && ansi.Strip(label) != dest {
			b.WriteString(r.style(styleFaint, " ("+dest+")"))
		}
	case kindImage:
		alt := r.inline(n, s)
		dest := sanitize(n.value)
		b.WriteString(r.style(s, "[image: ") + alt + r.style(s, "]"))
		if dest != "" {
			b.WriteString(r.style(styleFaint, " ("+dest+")"))
		}
	case kindAutoLink:
		b.WriteString(r.style(s.Inherit(styleLink), sanitize(n.value)))
	case kindRawHTML:
		b.WriteString(r.style(s, sanitize(n.value)))
	default:
		b.WriteString(r.inline(n, s))
	}
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
func (r *renderer) table(n *node, width int) []string {
	var aligns []lipgloss.Position
	for _, a := range n.value {
		aligns = append(aligns, map[rune]lipgloss.Position{'l': lipgloss.Left, 'c': lipgloss.Center, 'r': lipgloss.Right}[a])
	}
	text := make([][]string, len(n.children))
	for ri, row := range n.children {
		for _, cell := range row.children {
			text[ri] = append(text[ri], r.inline(cell, lipgloss.NewStyle()))
		}
	}
	ncol := len(aligns)
	// A row with fewer cells than the header gets empty ones; one with
	// more keeps the extra cells in its last column rather than lose them.
	cells := make([][]string, len(text))
	for ri := range text {
		cells[ri] = make([]string, ncol)
		for ci := range text[ri] {
			v := strings.TrimSpace(text[ri][ci])
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
