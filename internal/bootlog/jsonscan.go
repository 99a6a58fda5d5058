package bootlog

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// jsonBatchSize is how many bytes of whole JSON values a batch of the JSON
// fast path collects before it goes to a worker.
const jsonBatchSize = 1 << 20

// jsonBatch is a run of top-level JSON values, copied out of the input in
// log order, and what a worker made of them.
type jsonBatch struct {
	data []byte
	ends []int // end of each value in data; the next one starts there

	entries, malformed int
	last               time.Time // the latest entry time of the batch
	feed               []Entry   // the entries holding a keyword, in order
	done               chan struct{}
	filter             *prefilter // finds the lines holding a keyword or an escape that can hide one
}

// scanJSON is Scan's fast path on JSON input. It splits the stream into
// values exactly as readJSON does (same chunker, same rules, so the same
// values come out as overlong or malformed), workers decode them in
// parallel, and this goroutine feeds the entries that can matter in log
// order. A value without a backslash and without any keyword in its raw
// bytes cannot hold a keyword once decoded, so it is only checked for
// validity and shape by quickEntry, which gives up to json.Unmarshal on
// anything unusual. The engine's results and Stats are those of readJSON
// with Feed.
func (e *Engine) scanJSON(r io.Reader) (Stats, error) {
	var readSt Stats // the splitter's counts, owned by the reader until it is done
	workers := scanWorkers()
	ordered := make(chan *jsonBatch, scanAhead())
	work := make(chan *jsonBatch)
	free := make(chan []byte, scanAhead()+workers+1)
	var readErr error
	keys := e.jsonKeys()
	go func() {
		defer close(work)
		defer close(ordered)
		var filter *prefilter
		readErr = splitJSON(r, &readSt, free, func(b *jsonBatch) {
			if filter == nil { // planned on the first batch, before any worker reads it
				filter = &prefilter{scan: keys}
				filter.plan(b.data[:min(len(b.data), planSample)])
			}
			b.filter = filter
			ordered <- b
			work <- b
		})
	}()
	// A non-ASCII keyword could appear where invalid UTF-8 is replaced.
	mayHide := slices.ContainsFunc(e.pf.keys, func(k literal) bool {
		return strings.ContainsFunc(k.s, func(r rune) bool { return r >= utf8.RuneSelf })
	})
	for range workers {
		go func() {
			for b := range work {
				e.decodeBatch(b, mayHide)
			}
		}()
	}
	var st Stats
	for b := range ordered {
		<-b.done
		st.Entries += b.entries
		st.Malformed += b.malformed
		if b.last.After(e.last) {
			e.last = b.last
		}
		for _, en := range b.feed {
			e.Feed(en)
		}
		select {
		case free <- b.data[:0]:
		default:
		}
	}
	// ordered is closed only after the reader's last write to readErr and readSt.
	st.Lines += readSt.Lines
	st.Overlong += readSt.Overlong
	st.Malformed += readSt.Malformed
	return st, readErr
}

// splitJSON splits the stream into values as readJSON does and hands
// them out in batches of about jsonBatchSize bytes.
func splitJSON(r io.Reader, st *Stats, free chan []byte, send func(*jsonBatch)) error {
	c := newChunker(r, st)
	newBatch := func() *jsonBatch {
		b := &jsonBatch{done: make(chan struct{})}
		select {
		case b.data = <-free:
		default:
			b.data = make([]byte, 0, 64<<10) // grows to a batch; a short log stays small
		}
		return b
	}
	b := newBatch()
	buf := b.data
	err := splitJSONValues(c, st, &buf, func() error {
		b.data = buf
		b.ends = append(b.ends, len(buf))
		if len(buf) >= jsonBatchSize {
			send(b)
			b = newBatch()
			buf = b.data
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(b.ends) > 0 {
		send(b)
	}
	return c.readErr()
}

// decodeBatch works out what readJSON would hand Feed for b's values:
// how many entries and malformed values, the latest time, and the entries
// whose message holds a keyword.
func (e *Engine) decodeBatch(b *jsonBatch, mayHide bool) {
	defer close(b.done)
	full := markJSON(b, mayHide)
	var q quickJSON
	start := 0
	for k, end := range b.ends {
		obj := b.data[start:end]
		start = end
		if !full[k] {
			if isEntry, ts, ok := q.entry(obj); ok {
				if isEntry {
					b.entries++
					if t, ok := parseTime(ts); ok && t.After(b.last) {
						b.last = t
					}
				}
				continue
			}
		}
		var doc jsonDoc
		if err := json.Unmarshal(obj, &doc); err != nil {
			b.malformed++
			continue
		}
		for _, j := range doc.entries() {
			b.entries++
			en := j.entry()
			if en.Time.After(b.last) {
				b.last = en.Time
			}
			if e.pf.any(en.Message) {
				b.feed = append(b.feed, en)
			}
		}
	}
}

// markJSON marks the values of b that must be decoded in full: every value
// with a byte in a line where the filter finds a keyword or an escape that
// can hide one (see jsonKeys), and all of them when a keyword is not ASCII.
// Other values cannot hold a keyword once decoded.
func markJSON(b *jsonBatch, mayHide bool) []bool {
	full := make([]bool, len(b.ends))
	if mayHide {
		for k := range full {
			full[k] = true
		}
		return full
	}
	lines, _ := b.filter.lines(b.data, nil)
	for _, l := range lines {
		eol := len(b.data)
		if i := bytes.IndexByte(b.data[l:], '\n'); i >= 0 {
			eol = l + i
		}
		for k := sort.SearchInts(b.ends, l+1); k < len(b.ends) && (k == 0 || b.ends[k-1] < eol); k++ {
			full[k] = true
		}
	}
	return full
}

// jsonKeys are the keywords markJSON looks for in raw JSON, anywhere in
// a line: the engine's, and the escapes that can hide one.
func (e *Engine) jsonKeys() []scanKey {
	var keys []scanKey
	escapable := false
	for _, k := range e.pf.keys {
		keys = append(keys, scanKey{lit: k})
		escapable = escapable || strings.ContainsFunc(k.s, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' || r == '/' })
	}
	if escapable {
		return append(keys, scanKey{lit: literal{s: `\`}})
	}
	return append(keys, scanKey{lit: literal{s: `\u`}})
}

// quickJSON checks a JSON object for the fields of jsonDoc without
// reflection. It accepts only a strict subset of valid JSON (no \u
// escapes, no non-ASCII or escaped keys, no repeated or null fields of jsonDoc, no
// data or attributes, the expected type for every field), on which
// json.Unmarshal would succeed; anything else is left to json.Unmarshal.
type quickJSON struct {
	b         []byte
	i         int
	ts        []byte
	hasEntry  bool // a non-empty timestamp, message, instance, level or meta.instance
	seen      uint32
	nestLevel int
}

// Fields of jsonDoc, as bits of quickJSON.seen.
const (
	fTimestamp = 1 << iota
	fMessage
	fLevel
	fInstance
	fRegion
	fMeta
	fMetaInstance
	fMetaRegion
	fMetaEvent
	fMetaError
	fProvider
	fErrorMessage
)

// Where an object sits in jsonDoc, which decides its fields.
const (
	inOther = iota
	inTop
	inMeta
	inEvent
	inError
)

// entry reports whether obj is one log entry (isEntry) and its raw
// timestamp; ok is false when obj is outside the subset quickJSON knows.
func (q *quickJSON) entry(obj []byte) (isEntry bool, ts []byte, ok bool) {
	*q = quickJSON{b: obj}
	if !q.object(inTop) || q.i != len(obj) {
		return false, nil, false
	}
	for _, c := range q.ts {
		if c >= 0x80 { // replaced by U+FFFD when decoded: leave it to json
			return false, nil, false
		}
	}
	return q.hasEntry, q.ts, true
}

func (q *quickJSON) space() {
	for q.i < len(q.b) {
		switch q.b[q.i] {
		case ' ', '\t', '\r', '\n':
			q.i++
		default:
			return
		}
	}
}

// str reads a string without control bytes or \u escapes and returns its
// raw contents; esc tells whether it holds a short escape.
func (q *quickJSON) str() (s []byte, esc, ok bool) {
	if q.i >= len(q.b) || q.b[q.i] != '"' {
		return nil, false, false
	}
	for j := q.i + 1; j < len(q.b); j++ {
		switch c := q.b[j]; {
		case c == '"':
			s := q.b[q.i+1 : j]
			q.i = j + 1
			return s, esc, true
		case c < 0x20:
			return nil, false, false
		case c == '\\':
			if j+1 >= len(q.b) || strings.IndexByte(`"\\/bfnrt`, q.b[j+1]) < 0 {
				return nil, false, false
			}
			esc = true
			j++
		}
	}
	return nil, false, false
}

// field maps key to the bit of the jsonDoc field it sets in an object at
// where, and the object kind of its value (inOther when it is a string
// field); bit is 0 for a key jsonDoc ignores and -1 for one quickJSON
// leaves to json.Unmarshal.
func field(where int, key []byte) (bit int, kind int) {
	eq := func(name string) bool { return len(key) == len(name) && equalFold(key, name) }
	for _, c := range key {
		if c >= 0x80 { // Unicode case folding (K, ſ) may match a field
			return -1, 0
		}
	}
	switch where {
	case inTop:
		switch {
		case eq("timestamp"):
			return fTimestamp, inOther
		case eq("message"):
			return fMessage, inOther
		case eq("level"):
			return fLevel, inOther
		case eq("instance"):
			return fInstance, inOther
		case eq("region"):
			return fRegion, inOther
		case eq("meta"):
			return fMeta, inMeta
		case eq("data"), eq("attributes"):
			return -1, 0
		}
	case inMeta:
		switch {
		case eq("instance"):
			return fMetaInstance, inOther
		case eq("region"):
			return fMetaRegion, inOther
		case eq("event"):
			return fMetaEvent, inEvent
		case eq("error"):
			return fMetaError, inError
		}
	case inEvent:
		if eq("provider") {
			return fProvider, inOther
		}
	case inError:
		if eq("message") {
			return fErrorMessage, inOther
		}
	}
	return 0, 0
}

// object reads an object at where in jsonDoc.
func (q *quickJSON) object(where int) bool {
	if q.i >= len(q.b) || q.b[q.i] != '{' || q.nestLevel >= 64 {
		return false
	}
	q.nestLevel++
	defer func() { q.nestLevel-- }()
	q.i++
	q.space()
	if q.i < len(q.b) && q.b[q.i] == '}' {
		q.i++
		return true
	}
	for {
		key, esc, ok := q.str()
		if !ok || esc { // an escaped key may name a field
			return false
		}
		q.space()
		if q.i >= len(q.b) || q.b[q.i] != ':' {
			return false
		}
		q.i++
		q.space()
		bit, kind := 0, inOther
		if where != inOther {
			bit, kind = field(where, key)
		}
		switch {
		case bit < 0:
			return false
		case bit == 0:
			if !q.value() {
				return false
			}
		case q.seen&uint32(bit) != 0: // a repeated field: last wins, merges; leave it to json
			return false
		case kind != inOther:
			q.seen |= uint32(bit)
			if !q.object(kind) {
				return false
			}
		default:
			q.seen |= uint32(bit)
			s, esc, ok := q.str()
			if !ok {
				return false
			}
			switch bit {
			case fTimestamp:
				if esc {
					return false
				}
				q.ts = s
				q.hasEntry = q.hasEntry || len(s) > 0
			case fMessage, fLevel, fInstance, fMetaInstance:
				q.hasEntry = q.hasEntry || len(s) > 0
			}
		}
		q.space()
		if q.i >= len(q.b) {
			return false
		}
		switch q.b[q.i] {
		case ',':
			q.i++
			q.space()
		case '}':
			q.i++
			return true
		default:
			return false
		}
	}
}

// value reads any value jsonDoc ignores.
func (q *quickJSON) value() bool {
	if q.i >= len(q.b) {
		return false
	}
	switch c := q.b[q.i]; {
	case c == '"':
		_, _, ok := q.str()
		return ok
	case c == '{':
		return q.object(inOther)
	case c == '[':
		return q.array()
	case c == 't':
		return q.word("true")
	case c == 'f':
		return q.word("false")
	case c == 'n':
		return q.word("null")
	case c == '-' || '0' <= c && c <= '9':
		return q.number()
	}
	return false
}

func (q *quickJSON) array() bool {
	if q.nestLevel >= 64 {
		return false
	}
	q.nestLevel++
	defer func() { q.nestLevel-- }()
	q.i++ // '['
	q.space()
	if q.i < len(q.b) && q.b[q.i] == ']' {
		q.i++
		return true
	}
	for {
		if !q.value() {
			return false
		}
		q.space()
		if q.i >= len(q.b) {
			return false
		}
		switch q.b[q.i] {
		case ',':
			q.i++
			q.space()
		case ']':
			q.i++
			return true
		default:
			return false
		}
	}
}

func (q *quickJSON) word(w string) bool {
	if !bytes.HasPrefix(q.b[q.i:], []byte(w)) {
		return false
	}
	q.i += len(w)
	return true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; what
// follows is checked by the caller.
func (q *quickJSON) number() bool {
	digits := func() int {
		n := 0
		for q.i < len(q.b) && '0' <= q.b[q.i] && q.b[q.i] <= '9' {
			q.i++
			n++
		}
		return n
	}
	if q.b[q.i] == '-' {
		q.i++
	}
	if q.i < len(q.b) && q.b[q.i] == '0' {
		q.i++
	} else if digits() == 0 {
		return false
	}
	if q.i < len(q.b) && q.b[q.i] == '.' {
		q.i++
		if digits() == 0 {
			return false
		}
	}
	if q.i < len(q.b) && (q.b[q.i] == 'e' || q.b[q.i] == 'E') {
		q.i++
		if q.i < len(q.b) && (q.b[q.i] == '+' || q.b[q.i] == '-') {
			q.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
