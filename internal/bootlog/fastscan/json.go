package fastscan

import (
	"bytes"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// jsonBatchSize is how many bytes of whole JSON values a batch of the JSON
// scan collects before it goes to a worker.
const jsonBatchSize = 1 << 20

// jsonBatch is a run of top-level JSON values, copied out of the input in
// log order, and what a worker made of them.
type jsonBatch[R any] struct {
	Chunk
	r      R
	filter *prefilter // finds the lines holding a keyword or an escape that can hide one
}

// scanJSON is Scan on JSON input read from r.
func scanJSON[R any](r io.Reader, f *Filter, sink Sink[R]) (Counts, error) {
	var readCounts Counts // the splitter's, owned by the reader until it is done
	c := NewChunker(r, &readCounts)
	return scanJSONFrom(c, c.Err, &readCounts, f, sink)
}

// scanJSONFrom is Scan on JSON input cut into runs of whole lines by src,
// whose skipped lines go into readCounts and whose reading error is
// srcErr's. It splits the stream into values exactly as SplitJSONValues
// does, batches them, and on the workers marks the values that may hold a
// keyword (see markJSON) and runs sink.Work; this goroutine hands the
// batches to sink.Feed in input order. Batches hold copies of the values,
// each followed by a newline.
func scanJSONFrom[R any](src lineSource, srcErr func() error, readCounts *Counts, f *Filter, sink Sink[R]) (Counts, error) {
	workers := scanWorkers()
	ordered := make(chan *jsonBatch[R], scanAhead())
	work := make(chan *jsonBatch[R])
	free := make(chan []byte, scanAhead()+workers+1)
	var readErr error
	keys := f.jsonKeys()
	go func() {
		defer close(work)
		defer close(ordered)
		var filter *prefilter
		readErr = splitJSON(src, srcErr, readCounts, free, func(b *jsonBatch[R]) {
			if filter == nil { // planned on the first batch, before any worker reads it
				filter = &prefilter{scan: keys}
				filter.plan(b.Data[:min(len(b.Data), planSample)])
			}
			b.filter = filter
			ordered <- b
			work <- b
		})
	}()
	// A non-ASCII keyword could appear where invalid UTF-8 is replaced.
	mayHide := slices.ContainsFunc(f.keys, func(k Literal) bool {
		return strings.ContainsFunc(k.s, func(r rune) bool { return r >= utf8.RuneSelf })
	})
	for range workers {
		go func() {
			for b := range work {
				b.Marked = markJSON(b.filter, &b.Chunk, mayHide)
				b.r = sink.Work(&b.Chunk)
				close(b.done)
			}
		}()
	}
	var counts Counts
	var err error
	for b := range ordered {
		<-b.done
		if err == nil {
			err = sink.Feed(&b.Chunk, b.r)
		}
		select {
		case free <- b.Data[:0]:
		default:
		}
	}
	// ordered is closed only after the reader's last write to readErr and readCounts.
	counts.Lines += readCounts.Lines
	counts.Overlong += readCounts.Overlong
	counts.Malformed += readCounts.Malformed
	if err == nil {
		err = readErr
	}
	return counts, err
}

// splitJSON splits the stream into values as SplitJSONValues does and
// hands them out in batches of about jsonBatchSize bytes.
func splitJSON[R any](c lineSource, cErr func() error, st *Counts, free chan []byte, send func(*jsonBatch[R])) error {
	newBatch := func() *jsonBatch[R] {
		b := &jsonBatch[R]{Chunk: Chunk{JSON: true, done: make(chan struct{})}}
		select {
		case b.Data = <-free:
		default:
			b.Data = make([]byte, 0, 64<<10) // grows to a batch; a short log stays small
		}
		return b
	}
	b := newBatch()
	buf := b.Data
	begin := 0
	err := splitValues(c, st, &buf, func() error {
		b.Begins = append(b.Begins, begin)
		b.Ends = append(b.Ends, len(buf))
		// A newline after each value keeps the keyword search to the
		// lines of one value: NDJSON's values would otherwise make one
		// line of a whole batch, and one keyword mark all of it.
		buf = append(buf, '\n')
		begin = len(buf)
		b.Data = buf
		if len(buf) >= jsonBatchSize {
			send(b)
			b = newBatch()
			buf, begin = b.Data, 0
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(b.Ends) > 0 {
		send(b)
	}
	return cErr()
}

// markJSON marks the values of c that must be decoded in full: every value
// with a byte in a line of c.Data where the filter finds a keyword or an escape that
// can hide one (see jsonKeys), and all of them when a keyword is not ASCII.
// Other values cannot hold a keyword once decoded.
func markJSON(filter *prefilter, c *Chunk, mayHide bool) []bool {
	full := c.Marked[:0] // reused where a chunk is
	if cap(full) >= len(c.Ends) {
		full = full[:len(c.Ends)]
		clear(full)
	} else {
		full = make([]bool, len(c.Ends))
	}
	if mayHide {
		for k := range full {
			full[k] = true
		}
		return full
	}
	lines, _ := filter.lines(c.Data, nil)
	for _, l := range lines {
		eol := len(c.Data)
		if i := bytes.IndexByte(c.Data[l:], '\n'); i >= 0 {
			eol = l + i
		}
		for k := sort.SearchInts(c.Ends, l+1); k < len(c.Ends) && c.Begins[k] < eol; k++ {
			full[k] = true
		}
	}
	return full
}

// jsonKeys are the keywords markJSON looks for in raw JSON, anywhere in
// a line: the filter's, and the escapes that can hide one.
func (f *Filter) jsonKeys() []scanKey {
	var keys []scanKey
	escapable := false
	for _, k := range f.keys {
		keys = append(keys, scanKey{lit: k})
		escapable = escapable || strings.ContainsFunc(k.s, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' || r == '/' })
	}
	if escapable {
		return append(keys, scanKey{lit: Literal{s: `\`}})
	}
	return append(keys, scanKey{lit: Literal{s: `\u`}})
}
