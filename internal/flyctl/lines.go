package flyctl

import (
	"strings"
	"unicode/utf8"
)

// MaxLine is the longest line, in bytes, that Run delivers. A longer line is
// cut (see cutLong) and the rest of it, up to the next line break, dropped:
// a 10 MB line without a newline costs MaxLine bytes, not 10 MB.
const MaxLine = 4096

// Marks for over-long lines: one ends a line that was cut, the other
// stands for a line that had no safe place to cut.
const (
	truncatedMark = " …[line truncated]"
	omittedMark   = "[over-long line without a word break omitted]"
)

// splitter cuts a byte stream into lines on \n, \r and \r\n, with every
// line at most MaxLine bytes. It is fed arbitrary chunks and keeps no more
// than MaxLine bytes between calls.
type splitter struct {
	buf      []byte
	dropping bool // the current line was cut; discard until its end
	afterCR  bool // the last byte was \r: a following \n ends nothing
	emit     func(text []byte, truncated bool)
}

func newSplitter(emit func(text []byte, truncated bool)) *splitter {
	return &splitter{buf: make([]byte, 0, MaxLine), emit: emit}
}

// write feeds a chunk of output.
func (s *splitter) write(p []byte) {
	for len(p) > 0 {
		if s.afterCR && p[0] == '\n' {
			p = p[1:]
			s.afterCR = false
			continue
		}
		s.afterCR = false
		i := indexBreak(p)
		part := p
		if i >= 0 {
			part = p[:i]
		}
		if !s.dropping {
			room := MaxLine - len(s.buf)
			if len(part) > room {
				s.buf = append(s.buf, part[:room]...)
				s.emit(s.buf, true)
				s.buf = s.buf[:0]
				s.dropping = true
			} else {
				s.buf = append(s.buf, part...)
			}
		}
		if i < 0 {
			return
		}
		if !s.dropping {
			s.emit(s.buf, false)
		}
		s.buf = s.buf[:0]
		s.dropping = false
		s.afterCR = p[i] == '\r'
		p = p[i+1:]
	}
}

// flush emits an unterminated last line.
func (s *splitter) flush() {
	if !s.dropping && len(s.buf) > 0 {
		s.emit(s.buf, false)
	}
	s.buf = s.buf[:0]
	s.dropping = false
}

func indexBreak(p []byte) int {
	for i, b := range p {
		if b == '\n' || b == '\r' {
			return i
		}
	}
	return -1
}

// cutLong shortens an over-long line at its last byte that cannot be part
// of a token (tokens are [A-Za-z0-9_\-+/=.,:] runs), so no half token or
// half secret survives the cut where the redactor would no longer see it.
// ok is false when the line has no such byte at all.
func cutLong(b []byte) (kept string, ok bool) {
	for i := len(b) - 1; i >= 0; i-- {
		if !tokenByte(b[i]) {
			return string(b[:i]), true
		}
	}
	return "", false
}

func tokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("_-+/=.,:", c) >= 0
}

// sanitize makes child output safe to show and to store: ANSI escape
// sequences (colours, cursor moves, titles) and other control characters
// are removed, invalid UTF-8 is replaced, tabs are kept, trailing space is
// trimmed. A child cannot drive the operator's terminal through jpops.
func sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return strings.TrimRight(s, " \t")
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0x1b {
			i = skipEscape(s, i)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			// control character (C0, DEL, C1): dropped
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimRight(b.String(), " \t")
}

// skipEscape returns the index just past the escape sequence starting at
// s[i] == ESC: CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), or a
// two-byte escape.
func skipEscape(s string, i int) int {
	i++ // ESC
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		for i++; i < len(s); i++ {
			if c := s[i]; c >= 0x40 && c <= 0x7e {
				return i + 1
			}
		}
		return i
	case ']', 'P', '_', '^':
		for i++; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return i
	}
	return i + 1
}
