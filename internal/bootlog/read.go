package bootlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the longest line (or JSON object) read; longer ones are
// skipped and counted in Stats.Overlong, so memory stays bounded.
const MaxLine = 1 << 20

// Stats counts what a read saw.
type Stats struct {
	Lines     int // physical lines of input, including blank and overlong ones
	Entries   int // entries parsed (text lines with flyctl's prefix, JSON log entries)
	Unparsed  int // text lines without flyctl's prefix, passed on with only Message set
	Overlong  int // lines or JSON objects longer than MaxLine, skipped
	Malformed int // JSON values that did not decode (including a truncated last object), skipped
}

// Read streams log entries from r to fn. It sniffs the format: input whose
// first non-space byte is '{' is a JSON stream (flyctl logs --json, logs API
// pages, or NDJSON of either); anything else is flyctl's text format. Bad
// lines are counted in Stats, never fatal; Read stops at the first error from
// r or fn. Text keeps invalid UTF-8 bytes as they are; JSON strings get
// U+FFFD in their place, as encoding/json does.
func Read(r io.Reader, fn func(Entry) error) (Stats, error) {
	br, isJSON, err := sniff(r)
	if err != nil {
		return Stats{}, err
	}
	if isJSON {
		return readJSON(br, fn)
	}
	return readText(br, fn)
}

var bom = []byte("\xef\xbb\xbf")

// sniff peeks past a UTF-8 byte order mark and leading whitespace for
// '{' (or an array of objects).
func sniff(r io.Reader) (*bufio.Reader, bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 64; ; n *= 2 {
		b, err := br.Peek(n)
		if bytes.HasPrefix(b, bom) {
			br.Discard(len(bom))
			continue
		}
		rest := bytes.TrimLeft(b, " \t\r\n")
		if len(rest) > 0 && rest[0] == '[' { // a JSON array of entries: "[{" or "[]"
			rest = bytes.TrimLeft(rest[1:], " \t\r\n")
			if len(rest) == 0 && err == nil {
				continue
			}
			return br, len(rest) > 0 && (rest[0] == '{' || rest[0] == ']'), nil
		}
		if len(rest) > 0 {
			return br, rest[0] == '{', nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
				return br, false, nil
			}
			return br, false, fmt.Errorf("reading log: %w", err)
		}
	}
}

func readText(r io.Reader, fn func(Entry) error) (Stats, error) {
	var st Stats
	c := newChunker(r, &st)
	p := newTextParser()
	for {
		chunk, ok := c.next()
		if !ok {
			return st, c.readErr()
		}
		for len(chunk) > 0 {
			line := chunk
			if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
				line, chunk = chunk[:i], chunk[i+1:]
			} else {
				chunk = nil
			}
			st.Lines++
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			e, parsed := p.parse(line)
			if parsed {
				st.Entries++
			} else {
				st.Unparsed++
			}
			if err := fn(e); err != nil {
				return st, err
			}
		}
	}
}

// chunker hands out runs of whole lines from one buffer that grows up to
// MaxLine. A longer line is skipped up to its newline and counted.
type chunker struct {
	r          io.Reader
	buf        []byte
	start, end int
	skipping   bool
	err        error
	st         *Stats
	// fill is how many bytes a chunk waits for before it is cut, unless
	// the buffer is full or the input ended: from a pipe a read returns at
	// most 64 KiB, and every chunk costs a hand-off between goroutines.
	fill int
	// clean is how many bytes from start are known to hold no newline, so
	// a long line arriving in small reads is searched once, not once a read.
	clean int
}

func newChunker(r io.Reader, st *Stats) *chunker {
	return &chunker{r: r, buf: make([]byte, 64<<10), st: st}
}

func (c *chunker) next() ([]byte, bool) {
	for {
		if c.skipping {
			if i := bytes.IndexByte(c.buf[c.start:c.end], '\n'); i >= 0 {
				c.start += i + 1
				c.skipping = false
			} else {
				c.start, c.end = 0, 0
			}
			c.clean = 0
		}
		if !c.skipping && (c.end-c.start >= c.fill || c.end == len(c.buf) || c.err != nil) {
			from := c.start + c.clean
			if i := bytes.LastIndexByte(c.buf[from:c.end], '\n'); i >= 0 {
				chunk := c.buf[c.start : from+i+1]
				c.start = from + i + 1
				c.clean = c.end - c.start // what follows the last newline
				return chunk, true
			}
			c.clean = c.end - c.start
		}
		if c.err != nil {
			if !c.skipping && c.start < c.end { // the last line, without a newline
				chunk := c.buf[c.start:c.end]
				c.start, c.clean = c.end, 0
				return chunk, true
			}
			return nil, false
		}
		if c.start > 0 {
			c.end = copy(c.buf, c.buf[c.start:c.end])
			c.start = 0
		}
		if c.end == len(c.buf) && len(c.buf) < MaxLine { // a long line: grow up to MaxLine
			c.buf = append(c.buf, make([]byte, len(c.buf))...)[:min(2*len(c.buf), MaxLine)]
			continue
		}
		if c.end == len(c.buf) { // no newline in a full buffer
			c.st.Overlong++
			c.st.Lines++
			c.skipping = true
			c.start, c.end, c.clean = 0, 0, 0
			continue
		}
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if err != nil {
			c.err = err
		}
	}
}

func (c *chunker) readErr() error {
	if c.err == nil || errors.Is(c.err, io.EOF) {
		return nil
	}
	return fmt.Errorf("reading log: %w", c.err)
}

// jsonEntry is one log entry of `flyctl logs --json` or a logs API page's
// data[].attributes. encoding/json matches keys case-insensitively, so the
// Go-cased meta keys of flyctl and the lower-case ones of the API both fit.
type jsonEntry struct {
	Timestamp string
	Message   string
	Level     string
	Instance  string
	Region    string
	Meta      struct {
		Instance string
		Region   string
		Event    struct{ Provider string }
		Error    struct{ Message string }
	}
}

type jsonDoc struct {
	jsonEntry
	Attributes *jsonEntry
	Data       []struct{ Attributes jsonEntry }
}

func (j *jsonEntry) entry() Entry {
	e := Entry{Machine: j.Instance, Region: j.Region, Provider: j.Meta.Event.Provider, Level: j.Level, Message: j.Message}
	if e.Machine == "" {
		e.Machine = j.Meta.Instance
	}
	if e.Region == "" {
		e.Region = j.Meta.Region
	}
	if e.Message == "" {
		e.Message = j.Meta.Error.Message
	}
	if i := indexESC(e.Message); i >= 0 {
		e.Message = string(stripANSI(nil, []byte(e.Message)))
	}
	if t, ok := parseTime([]byte(j.Timestamp)); ok {
		e.Time = t
	}
	return e
}

func indexESC(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			return i
		}
	}
	return -1
}

// entries are the log entries a JSON value holds: a logs API page's, a
// single page item's, or the value itself when it is an entry.
func (d *jsonDoc) entries() []*jsonEntry {
	switch {
	case d.Data != nil:
		list := make([]*jsonEntry, len(d.Data))
		for i := range d.Data {
			list[i] = &d.Data[i].Attributes
		}
		return list
	case d.Attributes != nil:
		return []*jsonEntry{d.Attributes}
	case d.jsonEntry.isEntry():
		return []*jsonEntry{&d.jsonEntry}
	}
	return nil
}

func (j *jsonEntry) isEntry() bool {
	return j.Timestamp != "" || j.Message != "" || j.Instance != "" || j.Level != "" || j.Meta.Instance != ""
}

// readJSON reads the JSON values of the stream (see splitJSONValues) and
// hands the log entries they hold to fn.
func readJSON(r io.Reader, fn func(Entry) error) (Stats, error) {
	var st Stats
	c := newChunker(r, &st)
	var obj []byte
	err := splitJSONValues(c, &st, &obj, func() error {
		defer func() { obj = obj[:0] }()
		var doc jsonDoc
		if err := json.Unmarshal(obj, &doc); err != nil {
			st.Malformed++
			return nil
		}
		for _, j := range doc.entries() {
			st.Entries++
			if err := fn(j.entry()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	return st, c.readErr()
}

// jsonStructural marks the bytes the splitter acts on inside a value.
var jsonStructural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// splitJSONValues splits what c reads into top-level JSON values by
// tracking brackets and strings, so a bad value is skipped and the next one
// read; top-level arrays are looked through, each element a value. It
// appends each value's bytes to *buf and calls done once the value is
// whole; done may cut *buf back or replace it. A value longer than MaxLine,
// or one the chunker cut into, is dropped (counted overlong) and *buf cut
// back to where the value began. It counts lines, stray bytes and a
// truncated last value (malformed), and stops at done's first error.
func splitJSONValues(c *chunker, st *Stats, buf *[]byte, done func() error) error {
	var (
		mark      = len(*buf) // where the current value begins in *buf
		depth     int
		inStr     bool
		esc       bool
		discard   bool // the current value is longer than MaxLine
		inGarbage bool
	)
	for {
		overlong := st.Overlong
		chunk, ok := c.next()
		if st.Overlong != overlong && depth > 0 {
			// The chunker dropped part of the current value: start afresh.
			depth, discard, *buf = 0, false, (*buf)[:mark]
		}
		if !ok {
			break
		}
		st.Lines += bytes.Count(chunk, []byte{'\n'})
		if chunk[len(chunk)-1] != '\n' {
			st.Lines++
		}
		from := 0 // start of the current value's bytes in chunk
		for i := 0; i < len(chunk); i++ {
			ch := chunk[i]
			if depth == 0 {
				switch ch {
				case ' ', '\t', '\r', '\n', ',', '[', ']':
					continue
				case '{':
					depth, inStr, esc, inGarbage, from = 1, false, false, false, i
				default:
					if !inGarbage {
						st.Malformed++
						inGarbage = true
					}
				}
				continue
			}
			if inStr {
				if esc {
					esc = false
					continue
				}
				// Jump to the string's next quote or backslash.
				j := i
				for j < len(chunk) && chunk[j] != '"' && chunk[j] != '\\' {
					j++
				}
				if j == len(chunk) {
					break
				}
				i = j
				if chunk[j] == '\\' {
					esc = true
				} else {
					inStr = false
				}
				continue
			}
			if !jsonStructural[ch] {
				// Skip to the next quote or bracket: in pretty-printed
				// objects most bytes are indentation, keys and values.
				i++
				for i < len(chunk) && !jsonStructural[chunk[i]] {
					i++
				}
				if i == len(chunk) {
					break
				}
				ch = chunk[i]
			}
			switch ch {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth > 0 {
					continue
				}
				if discard {
					st.Overlong++
					discard = false
					continue
				}
				*buf = append(*buf, chunk[from:i+1]...)
				if err := done(); err != nil {
					return err
				}
				mark = len(*buf)
			}
		}
		if depth > 0 && !discard {
			*buf = append(*buf, chunk[from:]...)
			if len(*buf)-mark > MaxLine {
				discard, *buf = true, (*buf)[:mark]
			}
		}
	}
	if depth > 0 { // a truncated last value
		st.Malformed++
	}
	return nil
}
