package bootlog

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strings"
	"sync/atomic"
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
	slots     []slot // when not nil, the string and number values read, in order (see shape)
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
	*q = quickJSON{b: b, slots: q.slots[:0:cap(q.slots)]}
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

// readObject is prefix as a note, by the shapes learnt so far (none when
// s is nil).
func (s *shapes) readObject(b []byte) (int, uint64) {
	var q quickJSON
	n, isEntry, ts, ok := s.prefix(&q, b)
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
	end, esc, ok := strEnd(q.b, q.i+1)
	if !ok {
		return nil, false, false
	}
	s = q.b[q.i+1 : end]
	q.i = end + 1
	return s, esc, true
}

// SWAR constants: a byte of ones, and the top bit of every byte.
const (
	ones = 0x0101010101010101
	tops = 0x8080808080808080
)

// strStops has the top bit set in each byte of v that is a quote, a
// backslash or a control byte; the lowest one set is exact, which is all
// strEnd reads (a borrow can only set bits above a true match).
func strStops(v uint64) uint64 {
	qt := v ^ ones*'"'
	bs := v ^ ones*'\\'
	return ((qt-ones)&^qt | (bs-ones)&^bs | (v-ones*0x20)&^v) & tops
}

// strEnd finds the closing quote of the string whose contents start at
// b[j], eight bytes a step: end is its index, esc whether the string holds
// a short escape; ok is false on a control byte, a \u or unknown escape,
// or no closing quote.
func strEnd(b []byte, j int) (end int, esc, ok bool) {
	for {
		for j+8 <= len(b) {
			if m := strStops(binary.LittleEndian.Uint64(b[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(b) && !strStop[b[j]] {
			j++
		}
		if j >= len(b) {
			return 0, false, false
		}
		switch c := b[j]; {
		case c == '"':
			return j, esc, true
		case c < 0x20:
			return 0, false, false
		}
		if j+1 >= len(b) || strings.IndexByte(`"\\/bfnrt`, b[j+1]) < 0 {
			return 0, false, false
		}
		esc = true
		j += 2
	}
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
			q.record(q.i-1-len(s), q.i-1, slotRole(bit))
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
		s, _, ok := q.str()
		q.record(q.i-1-len(s), q.i-1, roleString)
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
		start := q.i
		ok := q.number()
		q.record(start, q.i, roleNumber)
		return ok
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

// A shape is what every object that differs from one the strict reader
// accepted only in its string and number values has in common: the bytes
// between those values (keys, whitespace, brackets, literals) and what
// each value is to jsonDoc. Such an object is valid JSON of the same
// structure as long as each string is one the strict reader accepts and
// each number is a number, so checking it needs no parsing: compare the
// bytes between values, scan the strings eight bytes a step. flyctl writes
// every entry with the same keys in the same order, so nearly every object
// of its output has one of a few shapes.
type shape struct {
	runs  []string // the bytes before each value, and after the last
	roles []uint8  // what each value is
}

// A slot is where the strict reader found a string's contents (between
// its quotes) or a number, and what it is.
type slot struct {
	begin, end int32
	role       uint8
}

// Roles of a slot.
const (
	roleString = iota // a string jsonDoc ignores, or reads without looking at its length
	roleEntry         // a string whose being non-empty makes an entry
	roleTime          // the timestamp: no escapes, ASCII only
	roleNumber
)

func slotRole(bit int) uint8 {
	switch bit {
	case fTimestamp:
		return roleTime
	case fMessage, fLevel, fInstance, fMetaInstance:
		return roleEntry
	}
	return roleString
}

func (q *quickJSON) record(begin, end int, role uint8) {
	if q.slots != nil {
		q.slots = append(q.slots, slot{int32(begin), int32(end), role})
	}
}

// Limits on what is learnt as a shape, so shapes stay small.
const (
	shapeMaxLen   = 8 << 10
	shapeMaxSlots = 256
	shapeCount    = 4 // shapes kept at once
)

// newShape is the shape of obj, which the strict reader accepted,
// recording slots.
func newShape(obj []byte, slots []slot) *shape {
	if len(obj) > shapeMaxLen || len(slots) > shapeMaxSlots {
		return nil
	}
	sh := &shape{roles: make([]uint8, len(slots)), runs: make([]string, 0, len(slots)+1)}
	prev := 0
	for k, sl := range slots {
		sh.runs = append(sh.runs, string(obj[prev:sl.begin]))
		sh.roles[k] = sl.role
		prev = int(sl.end)
	}
	sh.runs = append(sh.runs, string(obj[prev:]))
	return sh
}

// match is prefix on b for an object of shape sh; ok is false when b does
// not begin with one (it may still be valid JSON the strict reader reads).
func (sh *shape) match(b []byte) (n int, isEntry bool, ts []byte, ok bool) {
	pos := 0
	runs := sh.runs[:len(sh.roles)+1]
	for k, role := range sh.roles {
		run := runs[k]
		if len(b)-pos < len(run) || string(b[pos:pos+len(run)]) != run {
			return 0, false, nil, false
		}
		pos += len(run)
		if pos >= len(b) {
			return 0, false, nil, false
		}
		if role == roleNumber {
			if c := b[pos]; c != '-' && (c < '0' || c > '9') {
				return 0, false, nil, false
			}
			q := quickJSON{b: b, i: pos}
			if !q.number() {
				return 0, false, nil, false
			}
			pos = q.i
			continue
		}
		if b[pos] == '"' { // empty: common in flyctl's objects
			continue
		}
		end, esc, ok := strEnd(b, pos)
		if !ok {
			return 0, false, nil, false
		}
		switch role {
		case roleTime:
			if esc {
				return 0, false, nil, false
			}
			for _, c := range b[pos:end] {
				if c >= 0x80 { // replaced by U+FFFD when decoded: leave it to json
					return 0, false, nil, false
				}
			}
			ts = b[pos:end]
			isEntry = true
		case roleEntry:
			isEntry = true
		}
		pos = end
	}
	run := runs[len(sh.roles)]
	if len(b)-pos < len(run) || string(b[pos:pos+len(run)]) != run {
		return 0, false, nil, false
	}
	return pos + len(run), isEntry, ts, true
}

// shapes is what the strict reader has learnt of a log's objects: the
// last few shapes it read. Workers share it; a shape once stored is never
// changed, only replaced.
type shapes struct {
	known [shapeCount]atomic.Pointer[shape]
	next  atomic.Uint32 // the slot the next shape replaces
}

// prefix is quickJSON.prefix on b, by a known shape when one fits, else
// by the strict reader, learning b's shape when it reads it.
func (s *shapes) prefix(q *quickJSON, b []byte) (n int, isEntry bool, ts []byte, ok bool) {
	if s == nil {
		return q.prefix(b)
	}
	for k := range s.known {
		if sh := s.known[k].Load(); sh != nil {
			if n, isEntry, ts, ok := sh.match(b); ok {
				return n, isEntry, ts, true
			}
		}
	}
	if q.slots == nil {
		q.slots = make([]slot, 0, 64)
	}
	n, isEntry, ts, ok = q.prefix(b)
	if ok {
		if sh := newShape(b[:n], q.slots); sh != nil {
			s.known[(s.next.Add(1)-1)%shapeCount].Store(sh)
		}
	}
	return n, isEntry, ts, ok
}

// entry is quickJSON.entry by prefix.
func (s *shapes) entry(q *quickJSON, obj []byte) (isEntry bool, ts []byte, ok bool) {
	n, isEntry, ts, ok := s.prefix(q, obj)
	if !ok || n != len(obj) {
		return false, nil, false
	}
	return isEntry, ts, true
}
