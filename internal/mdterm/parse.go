package mdterm

import (
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reads Markdown: the CommonMark blocks and inlines jpops's
// drafts and an author's edits use (headings, paragraphs, lists, block
// quotes, code, HTML, thematic breaks; emphasis, code spans, links,
// images, autolinks, inline HTML, escapes and character references),
// following the CommonMark rules for each. Not read: link reference
// definitions and the links that use them, which stay as written.
//
// It replaced goldmark, whose package initialisation (an entity map, a
// case-folding map, its HTML-block regexps) every jpops command paid at
// start-up, whether it laid out Markdown or not. Nothing here runs before
// Render is called.

type kind int

const (
	kindDocument kind = iota
	kindHeading
	kindParagraph
	kindThematicBreak
	kindCodeBlock
	kindHTMLBlock
	kindBlockquote
	kindList
	kindListItem
	kindTable     // value: the columns' alignments, l, c or r; children: rows
	kindTableRow  // children: cells
	kindTableCell // children: inlines

	kindText // value; soft or hard: the line break after it
	kindCodeSpan
	kindEmphasis
	kindLink
	kindImage
	kindAutoLink
	kindRawHTML
)

type node struct {
	kind     kind
	children []*node
	parent   *node

	level int      // heading: 1–6; emphasis: 1 (italic) or 2 (bold)
	lines []string // code and HTML blocks as written; a paragraph's lines, for tables

	ordered bool // list
	start   int  // list: the first item's number
	marker  byte // list: '.' or ')' when ordered, else the bullet
	tight   bool // list: no blank line between items or their blocks

	value      string // text (escapes and references resolved), code, HTML, a link's destination
	soft, hard bool   // text: a soft or hard line break follows
}

func (n *node) add(c *node) {
	c.parent = n
	n.children = append(n.children, c)
}

// parse reads md into a document tree.
func parse(md string) *node {
	md = strings.ReplaceAll(md, "\r\n", "\n") // a lone CR is text, as goldmark read it
	lines := strings.Split(md, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	doc := &node{kind: kindDocument}
	parseBlocks(doc, lines)
	return doc
}

// Indentation is counted in columns, a tab advancing to the next multiple
// of 4.

// indentOf is line's leading indentation in columns.
func indentOf(line string) int {
	col := 0
	for _, c := range []byte(line) {
		switch c {
		case ' ':
			col++
		case '\t':
			col += 4 - col%4
		default:
			return col
		}
	}
	return col
}

// stripCols removes n columns of leading indentation (less if there is
// less), a tab only partly removed leaving its remaining columns as spaces.
func stripCols(line string, n int) string {
	return stripColsAny(line, min(n, indentOf(line)))
}

// isBlank: only spaces, tabs and CRs (a lone CR, as goldmark reads it).
func isBlank(line string) bool { return strings.TrimLeft(line, " \t\r") == "" }

// parseBlocks reads lines (a container's content) into parent's blocks.
func parseBlocks(parent *node, lines []string) {
	for i := 0; i < len(lines); {
		line := lines[i]
		if isBlank(line) {
			i++
			continue
		}
		ind := indentOf(line)
		if ind >= 4 {
			i = indentedCode(parent, lines, i)
			continue
		}
		rest := stripCols(line, ind)
		switch {
		case isThematicBreak(rest):
			parent.add(&node{kind: kindThematicBreak})
			i++
		case atxLevel(rest) > 0:
			parent.add(atxHeading(rest))
			i++
		case fenceOpening(rest) != "":
			i = fencedCode(parent, lines, i, ind)
		case rest[0] == '>':
			i = blockquote(parent, lines, i)
		case listMarkerOf(rest, ind).ok:
			i = list(parent, lines, i)
		case htmlBlockKind(rest, false) > 0:
			i = htmlBlock(parent, lines, i, htmlBlockKind(rest, false))
		default:
			i = paragraph(parent, lines, i)
		}
	}
}

// startsBlock says whether line, after a paragraph's line, starts another
// block instead of continuing the paragraph. In the paragraph's own
// container (inParagraph) an empty list item, an ordered one not starting
// at 1 and an HTML block of kind 7 do not; after a line that left the
// paragraph's container (a lazy line) they do.
func startsBlock(line string, inParagraph bool) bool {
	ind := indentOf(line)
	if isBlank(line) {
		return true
	}
	if ind >= 4 {
		return false
	}
	rest := stripCols(line, ind)
	if isThematicBreak(rest) || atxLevel(rest) > 0 || fenceOpening(rest) != "" || rest[0] == '>' || htmlBlockKind(rest, inParagraph) > 0 {
		return true
	}
	m := listMarkerOf(rest, ind)
	return m.ok && (!inParagraph || (!m.empty && (!m.ordered || m.start == 1)))
}

func isThematicBreak(s string) bool {
	c := s[0]
	if c != '-' && c != '*' && c != '_' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case c:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

func atxLevel(s string) int {
	n := 0
	for n < len(s) && s[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(s) && s[n] != ' ' && s[n] != '\t' && s[n] != '\r') {
		return 0
	}
	return n
}

func atxHeading(s string) *node {
	level := atxLevel(s)
	content := strings.Trim(s[level:], " \t\r")
	// A closing sequence of hashes goes, when a space comes before it (or
	// it is all there is).
	if t := strings.TrimRight(content, "#"); t != content {
		if t == "" {
			content = ""
		} else if last := t[len(t)-1]; last == ' ' || last == '\t' {
			content = strings.TrimRight(t, " \t")
		}
	}
	h := &node{kind: kindHeading, level: level}
	parseInlines(h, content)
	return h
}

func indentedCode(parent *node, lines []string, i int) int {
	var body []string
	for ; i < len(lines); i++ {
		if isBlank(lines[i]) {
			body = append(body, stripCols(lines[i], 4))
			continue
		}
		if indentOf(lines[i]) < 4 {
			break
		}
		body = append(body, stripCols(lines[i], 4))
	}
	for len(body) > 0 && isBlank(body[len(body)-1]) {
		body = body[:len(body)-1]
	}
	parent.add(&node{kind: kindCodeBlock, lines: body})
	return i
}

// fenceOpening is the fence (``` or ~~~, or longer) s opens with, or "".
func fenceOpening(s string) string {
	if s == "" || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 || (s[0] == '`' && strings.Contains(s[n:], "`")) {
		return ""
	}
	return s[:n]
}

func fencedCode(parent *node, lines []string, i, ind int) int {
	fence := fenceOpening(stripCols(lines[i], ind))
	var body []string
	for i++; i < len(lines); i++ {
		l := lines[i]
		if li := indentOf(l); li < 4 {
			r := strings.TrimRight(stripCols(l, li), " \t")
			if strings.HasPrefix(r, fence) && strings.Trim(r, fence[:1]) == "" {
				i++
				break
			}
		}
		body = append(body, stripCols(l, ind))
	}
	parent.add(&node{kind: kindCodeBlock, lines: body})
	return i
}

// blockquote takes the lines marked with '>' (and the lazy lines that
// continue a paragraph in it) and reads what they hold.
func blockquote(parent *node, lines []string, i int) int {
	var inner []string
	for ; i < len(lines); i++ {
		l := lines[i]
		ind := indentOf(l)
		if rest := stripCols(l, ind); ind < 4 && rest != "" && rest[0] == '>' {
			inner = append(inner, quoteContent(l))
			continue
		}
		if isBlank(l) || len(inner) == 0 || !lazyContinues(inner) || startsBlock(l, false) {
			break
		}
		inner = append(inner, lazy(l))
	}
	q := &node{kind: kindBlockquote}
	parseBlocks(q, inner)
	parent.add(q)
	return i
}

// quoteContent is a block-quote line without its '>' and the one space
// that may follow it.
func quoteContent(l string) string {
	ind := indentOf(l)
	rest := stripCols(l, ind)[1:]
	if rest != "" && rest[0] == ' ' {
		return rest[1:]
	}
	if rest != "" && rest[0] == '\t' {
		// The tab is 4 - (col % 4) columns wide; one of them is the space.
		col := ind + 1
		w := 4 - col%4
		return strings.Repeat(" ", w-1) + rest[1:]
	}
	return rest
}

// lazyContinues says whether a line without a container's marker may
// continue the container's content: when that content ends in a
// paragraph line.
func lazyContinues(inner []string) bool {
	last := inner[len(inner)-1]
	if isBlank(last) {
		return false
	}
	// Walk the content as blocks would: a paragraph is open at the end if
	// its last line is not itself a block of its own or inside code.
	open := false
	inFence := ""
	for _, l := range inner {
		ind := indentOf(l)
		rest := stripCols(l, ind)
		switch {
		case inFence != "":
			if ind < 4 && strings.HasPrefix(strings.TrimRight(rest, " \t"), inFence) && strings.Trim(strings.TrimRight(rest, " \t"), inFence[:1]) == "" {
				inFence = ""
			}
			open = false
		case isBlank(l):
			open = false
		case ind >= 4:
			// indented code unless it continues a paragraph
		case fenceOpening(rest) != "":
			inFence = fenceOpening(rest)
			open = false
		case rest[0] == '>':
			open = lazyContinues([]string{quoteContent(l)})
		case isThematicBreak(rest) || atxLevel(rest) > 0:
			open = false
		case listMarkerOf(rest, ind).ok:
			m := listMarkerOf(rest, ind)
			open = !m.empty
		default:
			open = true
		}
	}
	return open
}

// lazy is a line that continues a paragraph inside a container without
// the container's marker. It is paragraph text whatever it holds: a row of
// = is escaped so that it is not read as a heading's underline.
func lazy(l string) string {
	if setextLevel(l) == 1 {
		return `\` + strings.TrimLeft(l, " \t")
	}
	return l
}

type listMarker struct {
	ok, ordered, empty bool
	start              int
	char               byte // the bullet, or '.' or ')'
	width              int  // columns from the line's start to the item's content
}

// listMarkerOf reads the list marker rest starts with; ind is the
// indentation before it.
func listMarkerOf(rest string, ind int) listMarker {
	var m listMarker
	n := 0
	switch c := rest[0]; {
	case c == '-' || c == '+' || c == '*':
		m.char, n = c, 1
	case c >= '0' && c <= '9':
		for n < len(rest) && n < 10 && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n > 9 || n >= len(rest) || (rest[n] != '.' && rest[n] != ')') {
			return m
		}
		m.ordered, m.char = true, rest[n]
		m.start, _ = strconv.Atoi(rest[:n])
		n++
	default:
		return m
	}
	after := rest[n:]
	if after != "" && after[0] != ' ' && after[0] != '\t' {
		return m
	}
	m.ok = true
	if isBlank(after) {
		m.empty = true
		m.width = ind + n + 1
		return m
	}
	// The content starts after 1–4 columns of space; with 5 or more it is
	// indented code, one column after the marker.
	sp := indentOf(strings.Repeat(" ", ind+n)+after) - (ind + n)
	if sp > 4 {
		sp = 1
	}
	m.width = ind + n + sp
	return m
}

// list reads the items that follow one another with the same kind of
// marker.
func list(parent *node, lines []string, i int) int {
	first := listMarkerOf(stripCols(lines[i], indentOf(lines[i])), indentOf(lines[i]))
	l := &node{kind: kindList, ordered: first.ordered, start: first.start, marker: first.char, tight: true}
	blankBetween := false
	for i < len(lines) {
		line := lines[i]
		ind := indentOf(line)
		if ind >= 4 || isBlank(line) {
			break
		}
		rest := stripCols(line, ind)
		if isThematicBreak(rest) {
			break
		}
		m := listMarkerOf(rest, ind)
		if !m.ok || m.ordered != first.ordered || m.char != first.char {
			break
		}
		if blankBetween {
			l.tight = false
		}
		// The item's content: its first line after the marker, then the
		// lines indented to its content, blank lines and lazy lines.
		var content []string
		if m.empty {
			content = append(content, "")
		} else {
			content = append(content, stripColsAny(line, m.width))
		}
		i++
		for i < len(lines) {
			l := lines[i]
			switch {
			case isBlank(l):
				// An empty item ends at its first blank line.
				if m.empty && len(content) == 1 {
					goto done
				}
				content = append(content, "")
			case indentOf(l) >= m.width:
				content = append(content, stripCols(l, m.width))
			case !isBlank(content[len(content)-1]) && lazyContinues(content) && !startsBlock(l, false):
				content = append(content, lazy(l))
			default:
				goto done
			}
			i++
		}
	done:
		// Blank lines at the item's end separate it from the next.
		trailing := 0
		for len(content) > 1 && isBlank(content[len(content)-1]) {
			content = content[:len(content)-1]
			trailing++
		}
		item := &node{kind: kindListItem}
		if m.empty {
			content = content[1:]
		}
		if blankInside(content) {
			l.tight = false
		}
		parseBlocks(item, content)
		l.add(item)
		blankBetween = trailing > 0
	}
	parent.add(l)
	return i
}

// stripColsAny removes the first n columns whatever they hold, a tab only
// partly removed leaving its remaining columns as spaces.
func stripColsAny(line string, n int) string {
	col := 0
	for i := 0; i < len(line); i++ {
		if col >= n {
			return line[i:]
		}
		if line[i] == '\t' {
			w := 4 - col%4
			if col+w > n {
				return strings.Repeat(" ", col+w-n) + line[i+1:]
			}
			col += w
			continue
		}
		col++
	}
	return ""
}

// blankInside says whether a blank line separates two of the blocks in
// content (not one inside a fenced code block, which is the code's).
func blankInside(content []string) bool {
	inFence := ""
	sawBlank := false
	for _, l := range content {
		ind := indentOf(l)
		rest := stripCols(l, ind)
		if inFence != "" {
			if ind < 4 && strings.HasPrefix(strings.TrimRight(rest, " \t"), inFence) && strings.Trim(strings.TrimRight(rest, " \t"), inFence[:1]) == "" {
				inFence = ""
			}
			continue
		}
		if isBlank(l) {
			sawBlank = true
			continue
		}
		if sawBlank && ind < 4 {
			return true
		}
		if sawBlank && ind >= 4 {
			return true
		}
		if ind < 4 {
			if f := fenceOpening(rest); f != "" {
				inFence = f
			}
		}
	}
	return false
}

// paragraph reads lines up to a blank line or a block that interrupts
// it; an underline of = or - makes it a heading.
func paragraph(parent *node, lines []string, i int) int {
	var body []string
	for ; i < len(lines); i++ {
		l := lines[i]
		if len(body) > 0 {
			if level := setextLevel(l); level > 0 {
				h := &node{kind: kindHeading, level: level}
				parseInlines(h, strings.TrimRight(strings.Join(body, "\n"), " \t"))
				parent.add(h)
				return i + 1
			}
			if startsBlock(l, true) {
				break
			}
		}
		body = append(body, strings.TrimLeft(l, " \t"))
	}
	body[len(body)-1] = strings.TrimRight(body[len(body)-1], " \t")
	if t := readTable(body); t != nil {
		parent.add(t)
		return i
	}
	p := &node{kind: kindParagraph, lines: body}
	parseInlines(p, strings.Join(body, "\n"))
	parent.add(p)
	return i
}

// readTable reads a paragraph written as a GitHub-flavoured table (a row of
// cells, a delimiter row of dashes, more rows); nil if it is not one. Each
// cell's text is read as inlines of its own.
func readTable(lines []string) *node {
	if len(lines) < 2 || !strings.Contains(lines[0], "|") {
		return nil
	}
	aligns, ok := delimiterRow(lines[1])
	if !ok {
		return nil
	}
	t := &node{kind: kindTable, value: aligns}
	for i, line := range lines {
		if i == 1 {
			continue
		}
		// Cells: the row cut at its unescaped pipes outside code.
		type span struct{ start, stop int }
		var spans []span
		start, ticks := 0, 0
		for j := 0; j < len(line); j++ {
			switch c := line[j]; {
			case c == '\\':
				j++
			case c == '`':
				ticks ^= 1
			case c == '|' && ticks == 0:
				spans = append(spans, span{start, j})
				start = j + 1
			}
		}
		spans = append(spans, span{start, len(line)})
		// A leading and a trailing pipe open and close the row.
		if len(spans) > 1 && strings.TrimSpace(line[spans[0].start:spans[0].stop]) == "" {
			spans = spans[1:]
		}
		if last := spans[len(spans)-1]; len(spans) > 1 && strings.TrimSpace(line[last.start:last.stop]) == "" {
			spans = spans[:len(spans)-1]
		}
		if i == 0 && len(spans) != len(aligns) {
			return nil // GitHub's rule: the header and the delimiter row agree
		}
		row := &node{kind: kindTableRow}
		for _, sp := range spans {
			cell := &node{kind: kindTableCell}
			for _, c := range readInlines(line, sp.start, sp.stop) {
				cell.add(c)
			}
			row.add(cell)
		}
		t.add(row)
	}
	return t
}

// delimiterRow reads a table's second line, like |---|:--:|--:|, into the
// columns' alignments: l, c or r each.
func delimiterRow(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "-") || strings.Trim(s, "|-: \t") != "" {
		return "", false
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "|"), "|")
	var out strings.Builder
	for _, c := range strings.Split(s, "|") {
		c = strings.TrimSpace(c)
		if strings.Trim(c, ":") == "" || strings.Trim(c, "-:") != "" || strings.Contains(strings.Trim(c, ":"), ":") {
			return "", false
		}
		switch {
		case strings.HasPrefix(c, ":") && strings.HasSuffix(c, ":"):
			out.WriteByte('c')
		case strings.HasSuffix(c, ":"):
			out.WriteByte('r')
		default:
			out.WriteByte('l')
		}
	}
	return out.String(), true
}

func setextLevel(l string) int {
	ind := indentOf(l)
	if ind >= 4 {
		return 0
	}
	s := strings.TrimRight(stripCols(l, ind), " \t")
	switch {
	case s == "":
		return 0
	case strings.Trim(s, "=") == "":
		return 1
	case strings.Trim(s, "-") == "":
		return 2
	}
	return 0
}

// htmlBlockKind is the kind (1–7) of HTML block s starts, 0 if none;
// kind 7 cannot interrupt a paragraph.
func htmlBlockKind(s string, interrupting bool) int {
	if s == "" || s[0] != '<' {
		return 0
	}
	lower := strings.ToLower(s)
	for _, t := range []string{"<script", "<pre", "<style", "<textarea"} {
		if strings.HasPrefix(lower, t) {
			r := lower[len(t):]
			if r == "" || r[0] == ' ' || r[0] == '\t' || r[0] == '>' {
				return 1
			}
		}
	}
	switch {
	case strings.HasPrefix(s, "<!--"):
		return 2
	case strings.HasPrefix(s, "<?"):
		return 3
	case strings.HasPrefix(s, "<![CDATA["):
		return 5
	case len(s) > 2 && s[1] == '!' && isASCIILetter(s[2]):
		return 4
	}
	name := strings.TrimPrefix(lower[1:], "/")
	n := 0
	for n < len(name) && (isASCIILetter(name[n]) || (n > 0 && (name[n] >= '0' && name[n] <= '9' || name[n] == '-'))) {
		n++
	}
	if n > 0 && isBlockTag(name[:n]) {
		r := name[n:]
		if r == "" || r[0] == ' ' || r[0] == '\t' || r[0] == '>' || strings.HasPrefix(r, "/>") {
			return 6
		}
	}
	if !interrupting {
		if end := htmlTag(s, 0); end > 0 && (s[1] != '!' && s[1] != '?') && isBlank(s[end:]) {
			return 7
		}
	}
	return 0
}

// htmlBlock takes lines up to the end condition of its kind.
func htmlBlock(parent *node, lines []string, i, kind int) int {
	ends := [...][]string{1: {"</script>", "</pre>", "</style>", "</textarea>"}, 2: {"-->"}, 3: {"?>"}, 4: {">"}, 5: {"]]>"}, 6: nil, 7: nil}[kind]
	var body []string
	for ; i < len(lines); i++ {
		l := lines[i]
		if kind >= 6 && isBlank(l) {
			break
		}
		body = append(body, l)
		if kind <= 5 {
			lower := strings.ToLower(l)
			done := false
			for _, e := range ends {
				if strings.Contains(lower, e) {
					done = true
				}
			}
			if done {
				i++
				break
			}
		}
	}
	parent.add(&node{kind: kindHTMLBlock, lines: body})
	return i
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// blockTags are the tag names that start an HTML block of kind 6,
// space-separated.
const blockTags = " address article aside base basefont blockquote body caption center col colgroup dd details dialog dir div dl dt fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html iframe legend li link main menu menuitem nav noframes ol optgroup option p param search section summary table tbody td tfoot th thead title tr track ul "

func isBlockTag(name string) bool { return strings.Contains(blockTags, " "+name+" ") }

// htmlTag is the end of the HTML tag, comment, processing instruction,
// declaration or CDATA section at s[i], or 0 when there is none.
func htmlTag(s string, i int) int {
	if i >= len(s) || s[i] != '<' {
		return 0
	}
	r := s[i+1:]
	switch {
	case strings.HasPrefix(r, "!--"):
		if strings.HasPrefix(r, "!-->") {
			return i + 5
		}
		if strings.HasPrefix(r, "!--->") {
			return i + 6
		}
		if e := strings.Index(r[3:], "-->"); e >= 0 {
			return i + 1 + 3 + e + 3
		}
		return 0
	case strings.HasPrefix(r, "?"):
		if e := strings.Index(r[1:], "?>"); e >= 0 {
			return i + 1 + 1 + e + 2
		}
		return 0
	case strings.HasPrefix(r, "![CDATA["):
		if e := strings.Index(r[8:], "]]>"); e >= 0 {
			return i + 1 + 8 + e + 3
		}
		return 0
	case strings.HasPrefix(r, "!") && len(r) > 1 && isASCIILetter(r[1]):
		if e := strings.IndexByte(r, '>'); e >= 0 {
			return i + 1 + e + 1
		}
		return 0
	}
	j := i + 1
	closing := j < len(s) && s[j] == '/'
	if closing {
		j++
	}
	// Tag name.
	if j >= len(s) || !isASCIILetter(s[j]) {
		return 0
	}
	for j < len(s) && (isASCIILetter(s[j]) || (s[j] >= '0' && s[j] <= '9') || s[j] == '-') {
		j++
	}
	if closing {
		j = skipSpace(s, j)
		if j < len(s) && s[j] == '>' {
			return j + 1
		}
		return 0
	}
	// Attributes.
	for {
		k := skipSpace(s, j)
		if k < len(s) && s[k] == '>' {
			return k + 1
		}
		if k+1 < len(s) && s[k] == '/' && s[k+1] == '>' {
			return k + 2
		}
		if k == j || k >= len(s) {
			return 0 // an attribute needs space before it
		}
		c := s[k]
		if !(isASCIILetter(c) || c == '_' || c == ':') {
			return 0
		}
		for k < len(s) && (isASCIILetter(s[k]) || (s[k] >= '0' && s[k] <= '9') || strings.IndexByte("_.:-", s[k]) >= 0) {
			k++
		}
		if v := skipSpace(s, k); v < len(s) && s[v] == '=' {
			v = skipSpace(s, v+1)
			if v >= len(s) {
				return 0
			}
			switch q := s[v]; q {
			case '"', '\'':
				e := strings.IndexByte(s[v+1:], q)
				if e < 0 {
					return 0
				}
				k = v + 1 + e + 1
			default:
				w := v
				for w < len(s) && strings.IndexByte(" \t\n\"'=<>`", s[w]) < 0 {
					w++
				}
				if w == v {
					return 0
				}
				k = w
			}
		}
		j = k
	}
}

// skipLinkSpace skips the space a link may hold around its destination
// and title.
func skipLinkSpace(s string, i int) int {
	for i < len(s) && isLinkSpace(s[i]) {
		i++
	}
	return i
}

// isLinkSpace: the space, tab and line-end bytes (not \v or \f, as
// goldmark reads a link).
func isLinkSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	return i
}

// Inlines.

// delim is a run of * or _ that may open or close emphasis.
type delim struct {
	char              byte
	count, orig       int
	canOpen, canClose bool
}

// inline is one piece of a line of inlines as it is read: a node, or a
// delimiter run not yet matched.
type inline struct {
	n *node
	d *delim
}

// parseInlines reads s (a paragraph's or heading's text) into parent's
// inline children.
func parseInlines(parent *node, s string) {
	for _, c := range readInlines(s, 0, len(s)) {
		parent.add(c)
	}
}

func readInlines(s string, lo, hi int) []*node {
	r := &inlineReader{s: s, linkTexts: map[[2]int][]*node{}, closes: map[[2]int]int{}}
	return r.read(lo, hi)
}

// inlineReader reads the inlines of s. A link's text is read once: a
// link whose text holds a link is not one, and reading the text again
// at every bracket of a nest of them would take time exponential in its
// depth.
type inlineReader struct {
	s         string
	linkTexts map[[2]int][]*node
	closes    map[[2]int]int
}

func (r *inlineReader) text(lo, hi int) []*node {
	k := [2]int{lo, hi}
	if n, ok := r.linkTexts[k]; ok {
		return n
	}
	n := r.read(lo, hi)
	r.linkTexts[k] = n
	return n
}

func (r *inlineReader) read(lo, hi int) []*node {
	s := r.s
	var items []inline
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			items = append(items, inline{n: &node{kind: kindText, value: text.String()}})
			text.Reset()
		}
	}
	lineBreak := func(hard bool) {
		// The spaces before a line break are not the text's.
		t := strings.TrimRight(text.String(), " ")
		text.Reset()
		text.WriteString(t)
		flush()
		if len(items) > 0 && items[len(items)-1].n != nil && items[len(items)-1].n.kind == kindText && !items[len(items)-1].n.soft && !items[len(items)-1].n.hard {
			items[len(items)-1].n.soft, items[len(items)-1].n.hard = !hard, hard
			return
		}
		items = append(items, inline{n: &node{kind: kindText, soft: !hard, hard: hard}})
	}
	for i := lo; i < hi; {
		c := s[i]
		switch {
		case c == '\n':
			hard := strings.HasSuffix(text.String(), "  ")
			lineBreak(hard)
			i++
			for i < hi && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
		case c == '\\':
			if i+1 < hi && s[i+1] == '\n' {
				lineBreak(true)
				i += 2
				for i < hi && (s[i] == ' ' || s[i] == '\t') {
					i++
				}
				continue
			}
			if i+1 < hi && isASCIIPunct(s[i+1]) {
				text.WriteByte(s[i+1])
				i += 2
				continue
			}
			text.WriteByte(c)
			i++
		case c == '&':
			if v, n := charRef(s[i:hi]); n > 0 {
				text.WriteString(v)
				i += n
				continue
			}
			text.WriteByte(c)
			i++
		case c == '`':
			n := runLen(s, i, hi, '`')
			if end := closingTicks(s, i+n, hi, n); end >= 0 {
				flush()
				items = append(items, inline{n: &node{kind: kindCodeSpan, value: codeSpanValue(s[i+n : end])}})
				i = end + n
				continue
			}
			text.WriteString(s[i : i+n])
			i += n
		case c == '<':
			if url, n := autolink(s[i:hi]); n > 0 {
				flush()
				items = append(items, inline{n: &node{kind: kindAutoLink, value: url}})
				i += n
				continue
			}
			if end := htmlTag(s[:hi], i); end > 0 {
				flush()
				items = append(items, inline{n: &node{kind: kindRawHTML, value: s[i:end]}})
				i = end
				continue
			}
			text.WriteByte(c)
			i++
		case c == '[' || (c == '!' && i+1 < hi && s[i+1] == '['):
			open := i + 1
			if c == '!' {
				open++
			}
			if n, end := r.link(open, hi, c == '!'); n != nil {
				flush()
				items = append(items, inline{n: n})
				i = end
				continue
			}
			text.WriteString(s[i:open])
			i = open
		case c == '*' || c == '_':
			n := runLen(s, i, hi, c)
			before, after := prevRune(s, i), nextRune(s, i+n)
			left := !isSpaceRune(after) && (!isPunctRune(after) || isSpaceRune(before) || isPunctRune(before))
			right := !isSpaceRune(before) && (!isPunctRune(before) || isSpaceRune(after) || isPunctRune(after))
			d := &delim{char: c, count: n, orig: n}
			if c == '*' {
				d.canOpen, d.canClose = left, right
			} else {
				d.canOpen = left && (!right || isPunctRune(before))
				d.canClose = right && (!left || isPunctRune(after))
			}
			flush()
			items = append(items, inline{d: d})
			i += n
		default:
			text.WriteByte(c)
			i++
		}
	}
	flush()
	items = emphasis(items)
	out := make([]*node, 0, len(items))
	for _, it := range items {
		out = append(out, toNode(it))
	}
	return out
}

// toNode is an item as a node: an unmatched delimiter run is text.
func toNode(it inline) *node {
	if it.d != nil {
		return &node{kind: kindText, value: strings.Repeat(string(it.d.char), it.d.count)}
	}
	return it.n
}

// emphasis matches the delimiter runs in items by CommonMark's rules
// (process emphasis), innermost first.
func emphasis(items []inline) []inline {
	// bottom: below it no opener matches a closer of this kind (its
	// character, whether it can open, its length mod 3): the spec's
	// openers_bottom, which keeps a line of unmatched runs from taking
	// time quadratic in their number.
	type kind struct {
		char    byte
		canOpen bool
		mod     int
	}
	bottom := map[kind]int{}
	for ci := 0; ci < len(items); ci++ {
		closer := items[ci].d
		if closer == nil || !closer.canClose || closer.count == 0 {
			continue
		}
		key := kind{closer.char, closer.canOpen, closer.orig % 3}
		floor, ok := bottom[key]
		if !ok {
			floor = -1
		}
		oi := -1
		for j := ci - 1; j > floor; j-- {
			o := items[j].d
			if o == nil || o.char != closer.char || !o.canOpen || o.count == 0 {
				continue
			}
			if (o.canClose || closer.canOpen) && (o.orig+closer.orig)%3 == 0 && !(o.orig%3 == 0 && closer.orig%3 == 0) {
				continue
			}
			oi = j
			break
		}
		if oi < 0 {
			bottom[key] = ci - 1
			continue
		}
		for k, b := range bottom {
			bottom[k] = min(b, oi) // the items after oi are about to move
		}
		opener := items[oi].d
		k := 1
		if opener.count >= 2 && closer.count >= 2 {
			k = 2
		}
		em := &node{kind: kindEmphasis, level: k}
		for _, it := range items[oi+1 : ci] {
			em.add(toNode(it))
		}
		opener.count -= k
		closer.count -= k
		// The items between become the emphasis, in place.
		items[oi+1] = inline{n: em}
		n := copy(items[oi+2:], items[ci:])
		items = items[:oi+2+n]
		ci = oi + 2
		if opener.count == 0 {
			items = append(items[:oi], items[oi+1:]...)
			ci--
		}
		if closer.count == 0 {
			items = append(items[:ci], items[ci+1:]...)
		}
		ci-- // the closer again if it has delimiters left, else what followed it
	}
	return items
}

func runLen(s string, i, hi int, c byte) int {
	n := 0
	for i+n < hi && s[i+n] == c {
		n++
	}
	return n
}

// closingTicks is where a run of exactly n backticks starts after i, or -1.
func closingTicks(s string, i, hi, n int) int {
	for i < hi {
		j := strings.IndexByte(s[i:hi], '`')
		if j < 0 {
			return -1
		}
		j += i
		m := runLen(s, j, hi, '`')
		if m == n {
			return j
		}
		i = j + m
	}
	return -1
}

// codeSpanValue is a code span's text: line ends become spaces and one
// space is stripped from each end when both have one (and it is not all
// spaces).
func codeSpanValue(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) >= 2 && s[0] == ' ' && s[len(s)-1] == ' ' && strings.Trim(s, " ") != "" {
		s = s[1 : len(s)-1]
	}
	return s
}

// autolink reads <scheme:…> or <address@host> at s's start.
func autolink(s string) (string, int) {
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return "", 0
	}
	body := s[1:end]
	if strings.ContainsAny(body, " \t\n<") || body == "" {
		return "", 0
	}
	if colon := strings.IndexByte(body, ':'); colon >= 2 && colon <= 32 && isASCIILetter(body[0]) {
		ok := true
		for _, c := range []byte(body[:colon]) {
			if !(isASCIILetter(c) || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-') {
				ok = false
			}
		}
		for _, c := range []byte(body) {
			if c < 0x20 || c == 0x7f {
				ok = false
			}
		}
		if ok {
			return body, end + 1
		}
	}
	if isEmail(body) {
		return "mailto:" + body, end + 1
	}
	return "", 0
}

func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	for _, c := range []byte(s[:at]) {
		if !(isASCIILetter(c) || (c >= '0' && c <= '9') || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0) {
			return false
		}
	}
	for _, label := range strings.Split(s[at+1:], ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(isASCIILetter(c) || (c >= '0' && c <= '9') || c == '-') {
				return false
			}
		}
	}
	return true
}

// link reads the inline link or image whose text starts at s[open]: the
// text up to its closing bracket, then (destination "title"). It returns
// nil when there is none.
func (r *inlineReader) link(open, hi int, image bool) (*node, int) {
	close := r.closingBracket(open, hi)
	if close < 0 {
		return nil, 0
	}
	dest, end := r.linkTail(close+1, hi)
	if end < 0 {
		return nil, 0
	}
	n := &node{kind: kindLink, value: resolveText(dest)}
	if image {
		n.kind = kindImage
	}
	for _, c := range r.text(open, close) {
		n.add(c)
	}
	if !image && containsLink(n) {
		return nil, 0 // links do not nest: the inner one is the link
	}
	return n, end
}

// linkTail reads (destination "title") at s[i]: the destination as
// written and where the tail ends, or -1 when there is none.
func (r *inlineReader) linkTail(i, hi int) (string, int) {
	s := r.s
	if i >= hi || s[i] != '(' {
		return "", -1
	}
	j := skipLinkSpace(s[:hi], i+1)
	dest := ""
	switch {
	case j < hi && s[j] == '<':
		k := j + 1
		for k < hi && s[k] != '>' && s[k] != '\n' {
			if s[k] == '\\' && k+1 < hi && isASCIIPunct(s[k+1]) {
				k++
			}
			k++
		}
		if k >= hi || s[k] != '>' {
			return "", -1
		}
		dest = s[j+1 : k]
		j = k + 1
	default:
		// Up to a space or an unbalanced ')' (as goldmark reads it: control
		// characters are the destination's).
		k, depth := j, 0
	dest:
		for k < hi {
			switch c := s[k]; {
			case c == '\\' && k+1 < hi && isASCIIPunct(s[k+1]):
				k += 2
				continue
			case isLinkSpace(c):
				break dest
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth < 0 {
					break dest
				}
			}
			k++
		}
		dest = s[j:k]
		j = k
	}
	// An optional title, after space.
	k := skipLinkSpace(s[:hi], j)
	if k < hi && k > j && (s[k] == '"' || s[k] == '\'' || s[k] == '(') {
		q := s[k]
		if q == '(' {
			q = ')'
		}
		e := k + 1
		for e < hi && s[e] != q {
			if s[e] == '\\' && e+1 < hi {
				e++
			}
			if q == ')' && s[e] == '(' {
				return "", -1
			}
			e++
		}
		if e >= hi {
			return "", -1
		}
		k = skipLinkSpace(s[:hi], e+1)
	}
	if k >= hi || s[k] != ')' {
		return "", -1
	}
	return dest, k + 1
}

func containsLink(n *node) bool {
	for _, c := range n.children {
		if c.kind == kindLink || containsLink(c) {
			return true
		}
	}
	return false
}

// closingBracket is the ] that closes the [ before open, or -1. What
// binds tighter is skipped: escapes, code spans, autolinks, HTML, and a
// bracket pair inside with the link it makes (its ] closes it, and what
// its destination holds is not this text's).
func (r *inlineReader) closingBracket(open, hi int) int {
	k := [2]int{open, hi}
	if c, ok := r.closes[k]; ok {
		return c
	}
	c := r.findClosingBracket(open, hi)
	r.closes[k] = c
	return c
}

func (r *inlineReader) findClosingBracket(open, hi int) int {
	s := r.s
	for i := open; i < hi; {
		switch c := s[i]; c {
		case '\\':
			i += 2
			continue
		case '`':
			n := runLen(s, i, hi, '`')
			if end := closingTicks(s, i+n, hi, n); end >= 0 {
				i = end + n
				continue
			}
			i += n
			continue
		case '<':
			if _, n := autolink(s[i:hi]); n > 0 {
				i += n
				continue
			}
			if end := htmlTag(s[:hi], i); end > 0 {
				i = end
				continue
			}
		case '[':
			inner := r.closingBracket(i+1, hi)
			if inner < 0 {
				return -1
			}
			if _, end := r.linkTail(inner+1, hi); end > 0 {
				i = end
			} else {
				i = inner + 1
			}
			continue
		case ']':
			return i
		}
		i++
	}
	return -1
}

// resolveText resolves backslash escapes and character references.
func resolveText(s string) string {
	if !strings.ContainsAny(s, `\&`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			b.WriteByte(s[i+1])
			i += 2
		case s[i] == '&':
			if v, n := charRef(s[i:]); n > 0 {
				b.WriteString(v)
				i += n
				continue
			}
			b.WriteByte('&')
			i++
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// charRef reads the character reference at s's start (&name;, &#123; or
// &#x7B;): its text and length, or 0 when there is none.
func charRef(s string) (string, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 33 {
		return "", 0
	}
	body := s[1:end]
	if body[0] == '#' {
		digits, base := body[1:], 10
		if digits != "" && (digits[0] == 'x' || digits[0] == 'X') {
			digits, base = digits[1:], 16
		}
		if digits == "" || (base == 10 && len(digits) > 7) || (base == 16 && len(digits) > 6) {
			return "", 0
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return "", 0
		}
		r := rune(v)
		if r == 0 || !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		return string(r), end + 1
	}
	for _, c := range []byte(body) {
		if !(isASCIILetter(c) || (c >= '0' && c <= '9')) {
			return "", 0
		}
	}
	// html decodes a known name's prefix too (&ampx; to &x;): only a
	// whole name is a reference.
	if v := html.UnescapeString(s[:end+1]); v != s[:end+1] && utf8.RuneCountInString(v) <= 2 && (!strings.HasSuffix(v, ";") || v == ";") {
		return v, end + 1
	}
	return "", 0
}

func isASCIIPunct(c byte) bool {
	return c < 0x80 && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}

// prevRune is the character before s[i] ('\n' at the start). Past a byte
// that is not UTF-8 it is the character that byte follows, as goldmark
// read it.
func prevRune(s string, i int) rune {
	if i == 0 {
		return '\n'
	}
	return runeAt(s, i-1)
}

func nextRune(s string, i int) rune {
	if i >= len(s) {
		return '\n'
	}
	return runeAt(s, i)
}

// runeAt decodes the character that s[i] is part of.
func runeAt(s string, i int) rune {
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r
}

func isSpaceRune(r rune) bool {
	return unicode.IsSpace(r)
}

func isPunctRune(r rune) bool {
	if r < 0x80 {
		return isASCIIPunct(byte(r))
	}
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}
