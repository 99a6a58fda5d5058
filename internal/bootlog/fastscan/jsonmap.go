package fastscan

import (
	"bytes"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// jsonSpanSize is about how many bytes of a JSON file one worker splits at
// a time: 256 KiB took less CPU than 1 MiB, as for text (what was just
// read is still in the core's cache when it is split).
const jsonSpanSize = fileSpan

// spanSplitter is splitValues' state, kept between spans of a mapping:
// the values are slices of the mapping, so it tracks where the current one
// began rather than copying it.
type spanSplitter struct {
	depth      int
	inStr, esc bool
	inGarbage  bool
	discard    bool // the current value is already longer than MaxLine
	begin      int  // where the current value began in the mapping
	// Of the last run only: a value started in it; garbage before the
	// first value was counted malformed.
	started, lead bool
}

// run splits data[from:to] as splitValues splits the same bytes when it
// reaches from in state s: from and to are line starts (or to is
// len(data)). It calls emit with each whole value's bounds in data (and
// what read said of it: see ObjectReader; read may be nil) and
// adds the lines, overlong values and lines, and malformed bytes it sees to
// st; a value still open at to stays in s. Lines are cut as mapSource cuts
// them, so a line of MaxLine bytes or more is skipped wherever it is.
func (s *spanSplitter) run(data []byte, from, to int, st *Counts, read func([]byte) (int, uint64), emit func(begin, end int, note uint64)) {
	s.started, s.lead = false, false
	src := mapSource{data: data[:to], pos: from, st: st}
	for {
		overlong := st.Overlong
		chunk, _, ok := src.next()
		if st.Overlong != overlong && s.depth > 0 {
			// A skipped line cut into the current value: start afresh.
			s.depth, s.discard = 0, false
		}
		if !ok {
			return
		}
		base := src.pos - len(chunk)
		st.Lines += bytes.Count(chunk, []byte{'\n'})
		if chunk[len(chunk)-1] != '\n' {
			st.Lines++
		}
		for i := 0; i < len(chunk); i++ {
			ch := chunk[i]
			if s.depth == 0 {
				switch ch {
				case ' ', '\t', '\r', '\n', ',', '[', ']':
					continue
				case '{':
					s.inGarbage, s.started = false, true
					if read != nil {
						// An object the sink reads whole ends where the
						// brackets would end it: skip it.
						if n, note := read(chunk[i:]); n > 0 && n <= MaxLine {
							emit(base+i, base+i+n, note)
							i += n - 1
							continue
						}
					}
					s.depth, s.inStr, s.esc, s.begin = 1, false, false, base+i
				default:
					if !s.inGarbage {
						st.Malformed++
						s.inGarbage = true
						s.lead = s.lead || !s.started
					}
				}
				continue
			}
			if s.inStr {
				if s.esc {
					s.esc = false
					continue
				}
				j := i
				for j < len(chunk) && chunk[j] != '"' && chunk[j] != '\\' {
					j++
				}
				if j == len(chunk) {
					break
				}
				i = j
				if chunk[j] == '\\' {
					s.esc = true
				} else {
					s.inStr = false
				}
				continue
			}
			if !jsonStructural[ch] {
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
				s.inStr = true
			case '{', '[':
				s.depth++
			case '}', ']':
				s.depth--
				if s.depth > 0 {
					continue
				}
				if end := base + i + 1; s.discard || end-s.begin > MaxLine {
					st.Overlong++
					s.discard = false
				} else {
					emit(s.begin, end, 0)
				}
			}
		}
		if s.depth > 0 && src.pos-s.begin > MaxLine {
			s.discard = true // dropped once it ends; its pages need not stay
		}
	}
}

// cutJSON is where the span that should end near at ends: at the first
// line starting with '{' in the reach bytes from at (a value's first line
// in NDJSON and in flyctl's pretty-printed objects, whose inner lines are
// indented), else at the next line start, else at the end. It is a guess:
// the worker splits the span as if no value were open there, which the
// feeder checks.
func cutJSON(data []byte, at, reach int) int {
	if at >= len(data) {
		return len(data)
	}
	if i := bytes.Index(data[at:min(len(data), at+reach)], []byte("\n{")); i >= 0 {
		return at + i + 1
	}
	if i := bytes.IndexByte(data[at:], '\n'); i >= 0 {
		return at + i + 1
	}
	return len(data)
}

// cutJSONAt is cutJSON on the size bytes of file, read a window at a time
// (at least 2 bytes).
func cutJSONAt(file io.ReaderAt, size, at, reach int, window []byte) (int, error) {
	if at >= size {
		return size, nil
	}
	read := func(pos, n int) ([]byte, error) {
		w := window[:n]
		if got, err := file.ReadAt(w, int64(pos)); got < n {
			return nil, fmt.Errorf("reading log: the file shrank while it was read (%d bytes at %d: %v); scan it again once it is no longer truncated", n, pos, err)
		}
		return w, nil
	}
	end := min(size, at+reach)
	for pos := at; pos < end; {
		w, err := read(pos, min(len(window), end-pos))
		if err != nil {
			return 0, err
		}
		if i := bytes.Index(w, []byte("\n{")); i >= 0 {
			return pos + i + 1, nil
		}
		if pos+len(w) >= end || len(w) < 2 {
			break
		}
		pos += len(w) - 1 // a "\n{" across the windows' edge is in the next
	}
	for pos := at; pos < size; {
		w, err := read(pos, min(len(window), size-pos))
		if err != nil {
			return 0, err
		}
		if i := bytes.IndexByte(w, '\n'); i >= 0 {
			return pos + i + 1, nil
		}
		pos += len(w)
	}
	return size, nil
}

// ObjectReader is a Sink that reads JSON objects whole anyway: on a mapped
// file the JSON scan offers it each value before splitting it, as the rest
// of the input from the value's '{' (up to a line end at most MaxLine
// bytes on). When the sink reads an object there, n is its length and the
// splitter skips it, so most bytes are read once: the sink must read only valid JSON, whose end is where the
// splitter's bracket and string tracking would end it. note is any
// nonzero summary of the object, handed back in Chunk.Notes. n is 0 when
// the sink cannot read it; the splitter then finds its end itself.
// ReadObject runs on the scan's workers, on several objects at once.
type ObjectReader interface {
	ReadObject(b []byte) (n int, note uint64)
}

// jsonSpan is a span of a mapped JSON file, split on a worker under the
// guess that no value is open at its start.
type jsonSpan[R any] struct {
	Chunk
	r        R
	from, to int
	base     int          // where Data begins in the mapping
	split    spanSplitter // the state at to, if the guess held
	counts   Counts       // what the span's lines added, if the guess held
	buf      []byte       // where the span is read from the file, recycled with the span
	inPlace  bool         // Data is the mapping, whose pages are dropped once fed
}

// reuse readies a fed span for the span from to to, keeping its buffers.
func (sp *jsonSpan[R]) reuse(from, to int) {
	*sp = jsonSpan[R]{
		Chunk: Chunk{JSON: true, done: make(chan struct{}), Begins: sp.Begins[:0], Ends: sp.Ends[:0], Notes: sp.Notes[:0], Marked: sp.Marked[:0]},
		from:  from, to: to, buf: sp.buf,
	}
}

// jsonCopyMax is the longest span read from the file into a buffer; a
// longer one (a file of few newlines) is read in place in the mapping.
const jsonCopyMax = 4 << 20

// scanJSONFile is scanJSONSpans on the mapping of file, whose workers read
// their spans with pread into buffers they reuse rather than from the
// mapping: on this kind of machine a first read of mapped pages (page
// faults, TLB misses on 4 KiB pages) costs the CPU several times the
// kernel's copy into a buffer that stays in cache. The mapping is read
// only where spans are cut and when a guess fails.
func scanJSONFile[R any](file io.ReaderAt, data []byte, off int, f *Filter, sink Sink[R]) (Counts, error) {
	return scanJSONSpans(data, file, off, jsonSpanSize, f, sink, release)
}

// scanJSONSpans is Scan on the JSON in data from off: splitting runs
// in parallel too. data is cut into spans at lines that likely
// begin a value (cutJSON); each worker splits its span, marks its values
// and runs sink.Work as if no value were open at the span's start. This
// goroutine knows the true state at each span's start once the previous
// span is fed: when a value was open there the guess was wrong and it
// splits the span again from that state, else it takes the worker's
// values, correcting only the count of garbage runs that continue one from
// the previous span. The values handed to the sink are those splitValues
// finds (FuzzSplitJSONSpans), in the span's buffer or in place: memory is
// bounded by the spans in flight, whose pages are dropped once fed.
//
// Spans are about size bytes, read from file when it is not nil (data then
// holds the same bytes), else read in place; the pages fed are dropped
// with drop (nil on memory that is not a mapping).
func scanJSONSpans[R any](data []byte, file io.ReaderAt, off, size int, f *Filter, sink Sink[R], drop func([]byte)) (Counts, error) {
	workers := scanWorkers()
	ordered := make(chan *jsonSpan[R], scanAhead())
	work := make(chan *jsonSpan[R])
	var readErr error
	var stop atomic.Bool
	// Fed spans are recycled with their buffers: fresh memory costs a page
	// fault every 4 KiB, more here than what is read into it.
	spare := make(chan *jsonSpan[R], scanAhead()+workers+2)
	if file != nil {
		// The spans' buffers in one arena, on huge pages where there are.
		bufs, unmapArena := arenaBuffers(cap(spare), size+size/4)
		defer unmapArena() // after the loop below, which waits for every span
		for _, b := range bufs {
			spare <- &jsonSpan[R]{buf: b[:0]}
		}
	}
	filter := &prefilter{scan: f.jsonKeys()}
	// A non-ASCII keyword could appear where invalid UTF-8 is replaced.
	mayHide := slices.ContainsFunc(f.keys, func(k Literal) bool {
		return strings.ContainsFunc(k.s, func(r rune) bool { return r >= utf8.RuneSelf })
	})
	var read func([]byte) (int, uint64)
	if r, ok := any(sink).(ObjectReader); ok {
		read = r.ReadObject
	}
	go func() {
		defer close(work)
		defer close(ordered)
		debug.SetPanicOnFault(true)
		defer catchFault(&readErr)
		filter.plan(data[off:min(len(data), off+planSample)])
		var window []byte // for cutJSONAt
		if file != nil {
			window = make([]byte, max(2, min(4<<10, size))) // a value starts within a few lines
		}
		for from := off; from < len(data) && !stop.Load(); {
			var to int
			if file != nil {
				var err error
				if to, err = cutJSONAt(file, len(data), from+size, 4*size, window); err != nil {
					readErr = err
					return
				}
			} else {
				to = cutJSON(data, from+size, 4*size)
			}
			var sp *jsonSpan[R]
			select {
			case sp = <-spare:
			default:
				sp = new(jsonSpan[R])
			}
			sp.reuse(from, to)
			ordered <- sp
			work <- sp
			from = to
		}
	}()
	for range workers {
		go func() {
			debug.SetPanicOnFault(true)
			for sp := range work {
				sp.splitGuessed(data, file, filter, mayHide, sink, read)
			}
		}()
	}

	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var (
		counts   Counts
		err      error
		state    spanSplitter // the true state at the next span's start
		released = off - off%pageSize
	)
	for sp := range ordered {
		<-sp.done
		if err == nil {
			err = sp.err
		}
		if err == nil {
			if state.depth == 0 {
				counts.Lines += sp.counts.Lines
				counts.Overlong += sp.counts.Overlong
				counts.Malformed += sp.counts.Malformed
				if state.inGarbage && sp.split.lead { // the garbage run goes on
					counts.Malformed--
				}
				inGarbage := state.inGarbage
				state = sp.split
				state.inGarbage = state.inGarbage || inGarbage && !sp.split.started
			} else {
				err = resplit(data, file, sp, &state, &counts, filter, mayHide, sink, read)
			}
		}
		if err == nil {
			err = feed(sink, &sp.Chunk, sp.r, true)
		}
		if err != nil {
			stop.Store(true) // drain what is in flight
			continue
		}
		keep := sp.to
		if state.depth > 0 && !state.discard {
			keep = state.begin
		}
		if end := keep - keep%pageSize; end > released {
			// Spans read from the file left the mapping's pages untouched.
			if drop != nil && sp.inPlace {
				drop(data[released:end])
			}
			released = end
		}
		if cap(sp.buf) > 2*(size+size/4) {
			sp.buf = nil // a long span's: not kept, so memory stays bounded by ordinary spans
		}
		select {
		case spare <- sp:
		default:
		}
	}
	if state.depth > 0 { // a truncated last value
		counts.Malformed++
	}
	if err == nil {
		err = readErr
	}
	return counts, err
}

// splitGuessed splits the span as if no value were open at its start,
// marks its values and runs sink.Work, on a worker: on a copy read from
// file into a buffer from free when file is not nil, else in place.
func (sp *jsonSpan[R]) splitGuessed(data []byte, file io.ReaderAt, filter *prefilter, mayHide bool, sink Sink[R], read func([]byte) (int, uint64)) {
	defer close(sp.done)
	defer catchFault(&sp.err)
	src, off := data, 0 // src holds the file's bytes from off
	sp.inPlace = true
	if n := sp.to - sp.from; file != nil && n <= jsonCopyMax {
		if sp.buf, sp.err = readSpan(file, sp.buf, sp.from, n); sp.err != nil {
			return
		}
		src, off, sp.inPlace = sp.buf, sp.from, false
	}
	sp.split.run(src, sp.from-off, sp.to-off, &sp.counts, read, sp.collector(sp.from-off))
	sp.split.begin += off
	sp.finish(src, off, filter, mayHide, sink)
}

// resplit splits the span again from the true state at its start, which
// had a value open, and redoes the worker's part: on a copy read from file
// when file is not nil and what it must read is not too long, else in place.
func resplit[R any](data []byte, file io.ReaderAt, sp *jsonSpan[R], state *spanSplitter, counts *Counts, filter *prefilter, mayHide bool, sink Sink[R], read func([]byte) (int, uint64)) (err error) {
	defer catchFault(&err)
	base := sp.from
	if !state.discard {
		base = state.begin
	}
	sp.Begins, sp.Ends, sp.Notes = sp.Begins[:0], sp.Ends[:0], sp.Notes[:0]
	src, off := data, 0 // src holds the file's bytes from off
	if n := sp.to - base; file != nil && n <= jsonCopyMax+MaxLine {
		if sp.buf, err = readSpan(file, sp.buf, base, n); err != nil {
			return err
		}
		src, off, sp.inPlace = sp.buf, base, false
	} else {
		sp.inPlace = true
	}
	state.begin -= off
	state.run(src, sp.from-off, sp.to-off, counts, read, sp.collector(base-off))
	state.begin += off
	sp.finish(src, off, filter, mayHide, sink)
	return nil
}

// readSpan reads n bytes of file at off into buf, or a new buffer when buf
// is too small.
func readSpan(file io.ReaderAt, buf []byte, off, n int) ([]byte, error) {
	if cap(buf) < n {
		buf = make([]byte, n, max(n, jsonSpanSize+jsonSpanSize/4))
	}
	buf = buf[:n]
	if got, err := file.ReadAt(buf, int64(off)); got < n {
		return nil, fmt.Errorf("reading log: the file shrank while it was read (%d bytes at %d: %v); scan it again once it is no longer truncated", n, off, err)
	}
	return buf, nil
}

// collector records each value's bounds relative to base, where the
// span's Data will begin: its start, or the start of a value open there.
func (sp *jsonSpan[R]) collector(base int) func(begin, end int, note uint64) {
	sp.base = base
	return func(begin, end int, note uint64) {
		sp.Begins = append(sp.Begins, begin-base)
		sp.Ends = append(sp.Ends, end-base)
		sp.Notes = append(sp.Notes, note)
	}
}

// finish points Data at the span in src, which holds the file's bytes
// from off, marks the span's values and runs sink.Work.
func (sp *jsonSpan[R]) finish(src []byte, off int, filter *prefilter, mayHide bool, sink Sink[R]) {
	sp.Data = src[sp.base : sp.to-off]
	sp.Marked = markJSON(filter, &sp.Chunk, mayHide)
	sp.r = sink.Work(&sp.Chunk)
}
