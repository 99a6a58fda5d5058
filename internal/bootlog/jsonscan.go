package bootlog

import (
	"bytes"
	"strings"
)

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
	n, isEntry, ts, ok := q.prefix(obj)
	if !ok || n != len(obj) {
		return false, nil, false
	}
	return isEntry, ts, true
}

// prefix is entry on the object b begins with, whatever follows it; n is
// the object's length. The reader never looks past the object's last '}'.
func (q *quickJSON) prefix(b []byte) (n int, isEntry bool, ts []byte, ok bool) {
	*q = quickJSON{b: b}
	if !q.object(inTop) {
		return 0, false, nil, false
	}
	for _, c := range q.ts {
		if c >= 0x80 { // replaced by U+FFFD when decoded: leave it to json
			return 0, false, nil, false
		}
	}
	return q.i, q.hasEntry, q.ts, true
}

// A note (see fastscan.ObjectReader) packs what prefix read: a flag that
// it was read, whether it is an entry, and where its timestamp is.
const (
	noteRead  = 1 << 63
	noteEntry = 1 << 62
	noteBits  = 31 // for the timestamp's offset and for its length
)

// readObject is prefix as a note.
func readObject(b []byte) (int, uint64) {
	var q quickJSON
	n, isEntry, ts, ok := q.prefix(b)
	if !ok || n > 1<<noteBits-1 {
		return 0, 0
	}
	note := uint64(noteRead)
	if isEntry {
		note |= noteEntry
	}
	if len(ts) > 0 {
		off := cap(b) - cap(ts) // ts is a slice of b
		note |= uint64(off)<<noteBits | uint64(len(ts))
	}
	return n, note
}

// fromNote is what readObject read of obj.
func fromNote(obj []byte, note uint64) (isEntry bool, ts []byte) {
	const mask = 1<<noteBits - 1
	off, n := int(note>>noteBits&mask), int(note&mask)
	return note&noteEntry != 0, obj[off : off+n]
}

// jsonSpace marks JSON's whitespace; strStop the bytes that end a run of
// plain string contents: the quote, the backslash and control bytes.
var jsonSpace, strStop = func() (sp, stop [256]bool) {
	for _, c := range " \t\r\n" {
		sp[c] = true
	}
	for c := range 0x20 {
		stop[c] = true
	}
	stop['"'], stop['\\'] = true, true
	return
}()

func (q *quickJSON) space() {
	b, i := q.b, q.i
	for i < len(b) && jsonSpace[b[i]] {
		i++
	}
	q.i = i
}

// str reads a string without control bytes or \u escapes and returns its
// raw contents; esc tells whether it holds a short escape.
func (q *quickJSON) str() (s []byte, esc, ok bool) {
	if q.i >= len(q.b) || q.b[q.i] != '"' {
		return nil, false, false
	}
	b := q.b
	for j := q.i + 1; j < len(b); j++ {
		for j < len(b) && !strStop[b[j]] {
			j++
		}
		if j == len(b) {
			break
		}
		switch c := b[j]; {
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
	eq := func(name string) bool { return len(key) == len(name) && bytes.EqualFold(key, []byte(name)) }
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
