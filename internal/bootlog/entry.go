// Package bootlog reads Fly log streams (flyctl's text format, `flyctl logs
// --json` and the logs API's JSON:API pages) and matches the runbook's boot-op
// signatures in them: a full-scan SQLite op that started on a machine and
// never finished. Phase 2, `jpops scan` and the watchdog share it.
package bootlog

import (
	"bytes"
	"time"
)

// Entry is one log line. Callers holding another log type convert to it.
type Entry struct {
	Time     time.Time
	Machine  string
	Region   string
	Provider string
	Level    string
	Message  string
}

// ParseTextLine parses one line of flyctl's text log format:
//
//	<RFC3339 timestamp> <provider>[<instance>] <region> [<level>]<message>
//
// with or without ANSI colour codes. A line that does not parse comes back
// as an Entry holding only the (colour-stripped) line as Message, and false.
// Bytes that are not valid UTF-8 are kept as they are.
func ParseTextLine(line string) (Entry, bool) {
	var p textParser
	return p.parse([]byte(line))
}

// textParser parses text lines, reusing its buffers; it interns the few
// distinct machine, region, provider and level strings of a stream so a long
// log does not allocate them per line.
type textParser struct {
	scratch []byte
	intern  map[string]string
	lastTS  []byte
	lastT   time.Time
}

func newTextParser() *textParser {
	return &textParser{intern: make(map[string]string)}
}

func (p *textParser) str(b []byte) string {
	if p.intern == nil {
		return string(b)
	}
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	if len(p.intern) >= 4096 { // a stream of random tokens must not grow memory
		clear(p.intern)
	}
	s := string(b)
	p.intern[s] = s
	return s
}

func (p *textParser) parse(raw []byte) (Entry, bool) {
	line := trimEOL(raw)
	if bytes.IndexByte(line, 0x1b) >= 0 {
		p.scratch = stripANSI(p.scratch[:0], line)
		line = p.scratch
	}
	if e, ok := p.fields(line); ok {
		return e, true
	}
	return Entry{Message: string(line)}, false
}

var errMessagePrefix = []byte(`error.message="`)

// fields parses a line of flyctl's text format, colour codes stripped (see
// docs/fly-platform.md, "Logs: the text format"). flyctl writes a line as
//
//	[error.message="M" ]TS INSTANCE REGION [LEVEL]FIELDS MESSAGE
//
// where INSTANCE (provider[id], provider, id) and REGION may each be
// empty, leaving two or three spaces in a row, and M and the quoted
// FIELDS are written as they are, quotes and backslashes unescaped. With
// an error message flyctl drops MESSAGE; M stands in for it.
func (p *textParser) fields(line []byte) (Entry, bool) {
	if !bytes.HasPrefix(line, errMessagePrefix) {
		return p.prefixed(line)
	}
	// M ends at a `" ` after which the rest of the line parses; it may
	// hold quotes and `" ` itself.
	v := line[len(errMessagePrefix):]
	for off := 0; ; {
		i := bytes.Index(v[off:], quoteSpace)
		if i < 0 {
			return Entry{}, false
		}
		end := off + i
		off = end + 1
		if rest := v[end+2:]; len(rest) == 0 || rest[0] < '0' || rest[0] > '9' {
			continue // a timestamp starts with a digit
		}
		e, ok := p.prefixed(v[end+2:])
		if !ok {
			continue
		}
		if e.Message == "" {
			e.Message = string(v[:end])
		}
		return e, true
	}
}

var quoteSpace = []byte(`" `)

// prefixed parses a line from its timestamp on.
func (p *textParser) prefixed(line []byte) (Entry, bool) {
	var e Entry
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return e, false
	}
	t, ok := p.time(line[:sp])
	if !ok {
		return e, false
	}
	e.Time = t
	rest := line[sp+1:]
	// The level's bracket opens the line's rest or follows a space; the
	// instance part's bracket (app[id]) follows no space.
	open := 0
	if len(rest) == 0 || rest[0] != '[' {
		open = bytes.Index(rest, []byte(" ["))
		if open < 0 {
			return e, false
		}
		open++
	}
	var tok [2][]byte
	n := 0
	if open > 0 {
		head := rest[:open-1] // without the space before the bracket
		for {
			if n == 2 {
				return e, false
			}
			sp := bytes.IndexByte(head, ' ')
			if sp < 0 {
				tok[n] = head
				n++
				break
			}
			tok[n] = head[:sp]
			n++
			head = head[sp+1:]
		}
	}
	rest = rest[open:]
	end := bytes.IndexByte(rest, ']')
	if end < 1 || bytes.IndexByte(rest[:end], ' ') >= 0 {
		return e, false
	}
	e.Level = p.str(rest[1:end])
	switch n {
	case 2:
		p.instance(&e, tok[0])
		e.Region = p.str(tok[1])
	case 1: // no provider and no instance: only the region is left
		e.Region = p.str(tok[0])
	}
	e.Message = string(skipFields(rest[end+1:]))
	return e, true
}

// instance splits flyctl's instance part: provider[instance], provider or instance.
func (p *textParser) instance(e *Entry, tok []byte) {
	if len(tok) == 0 {
		return
	}
	if i := bytes.IndexByte(tok, '['); i >= 0 && tok[len(tok)-1] == ']' {
		e.Provider = p.str(tok[:i])
		e.Machine = p.str(tok[i+1 : len(tok)-1])
		return
	}
	if isMachineID(tok) {
		e.Machine = p.str(tok)
		return
	}
	e.Provider = p.str(tok)
}

// isMachineID reports whether tok looks like a Fly machine ID (lowercase hex).
func isMachineID(tok []byte) bool {
	if len(tok) < 8 {
		return false
	}
	for _, c := range tok {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

var fieldKeys = [][]byte{[]byte("error.code="), []byte("request.method="), []byte("request.url="), []byte("request.id="), []byte("response.status=")}

// skipFields drops the optional `key=value ` fields flyctl writes between
// the level and the message.
func skipFields(msg []byte) []byte {
next:
	for len(msg) > 0 && (msg[0] == 'e' || msg[0] == 'r') {
		for _, k := range fieldKeys {
			if !bytes.HasPrefix(msg, k) {
				continue
			}
			v := msg[len(k):]
			if len(v) > 0 && v[0] == '"' {
				// Written as it is: the value ends at the next `" `.
				end := bytes.Index(v[1:], quoteSpace)
				if end < 0 {
					return msg
				}
				msg = v[1+end+2:]
			} else {
				sp := bytes.IndexByte(v, ' ')
				if sp < 0 {
					return msg
				}
				msg = v[sp+1:]
			}
			continue next
		}
		return msg
	}
	return msg
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// stripANSI appends src to dst without its SGR colour sequences (ESC[…m).
// An ESC that starts no such sequence is kept.
func stripANSI(dst, src []byte) []byte {
	for {
		i := bytes.IndexByte(src, 0x1b)
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i]...)
		j := i + 1
		if j < len(src) && src[j] == '[' {
			j++
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == ';') {
				j++
			}
			if j < len(src) && src[j] == 'm' {
				src = src[j+1:]
				continue
			}
		}
		dst = append(dst, 0x1b)
		src = src[i+1:]
	}
}

// time parses a log timestamp, reusing the last result for lines in the same second.
func (p *textParser) time(b []byte) (time.Time, bool) {
	if len(b) == 20 && p.lastTS != nil && bytes.Equal(b, p.lastTS) {
		return p.lastT, true
	}
	t, ok := parseTime(b)
	if ok && len(b) == 20 {
		p.lastTS = append(p.lastTS[:0], b...)
		p.lastT = t
	}
	return t, ok
}

// parseTime parses RFC 3339 timestamps; the common UTC forms without
// time.Parse. Dashboard-style timestamps without a zone are read as UTC.
func parseTime(b []byte) (time.Time, bool) {
	if t, ok := fastTime(b); ok {
		return t, true
	}
	s := string(b)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// fastTime parses 2006-01-02T15:04:05[.fraction]Z.
func fastTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(s []byte) int {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, s := num(b[0:4]), num(b[5:7]), num(b[8:10]), num(b[11:13]), num(b[14:16]), num(b[17:19])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 28 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 {
		return time.Time{}, false // day > 28 and leap seconds: let time.Parse judge
	}
	ns := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		ns = num(frac[1:])
		if ns < 0 {
			return time.Time{}, false
		}
		for i := len(frac) - 1; i < 9; i++ {
			ns *= 10
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC), true
}
