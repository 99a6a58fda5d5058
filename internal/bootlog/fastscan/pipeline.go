// Package fastscan is the fast path of reading a log for a few keywords:
// it cuts the input into chunks of whole lines (or whole JSON values),
// reads a large file through a memory mapping, finds the lines holding a
// keyword with a vectorised prefilter (an AVX2 kernel where the CPU has
// it), and runs all that on every core, handing the chunks to its
// consumer in input order. It knows nothing of what the lines mean: its
// consumer, a Sink, parses the few lines it selects.
package fastscan

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
)

// Sink is the consumer of a scan. Work runs on the scan's workers, on
// several chunks at once; Feed runs on the goroutine that called Scan,
// once per chunk, in input order, with what Work returned for it. An error
// from Feed stops the scan and is returned. Chunks (and their Data) are
// valid only until Feed returns. Work must leave the sink as it was: on
// JSON it may run again on a chunk whose values were split anew.
type Sink[R any] interface {
	Work(c *Chunk) R
	Feed(c *Chunk, r R) error
}

// Chunk is a piece of the input and what the filter found in it.
type Chunk struct {
	// Data holds whole lines of text, or whole top-level JSON values when
	// JSON is set.
	Data []byte
	JSON bool
	// Starts are the offsets in Data of the text lines holding a keyword,
	// in order.
	Starts []int
	// Begins and Ends are the offsets in Data where each JSON value begins
	// and ends; what lies between two values is a separator (a newline, or
	// the input's own whitespace and garbage), so a line of Data is a line
	// of the input. Marked tells which values share a line with a keyword
	// or with an escape that can hide one. An unmarked value cannot hold a
	// keyword in any of its strings once decoded.
	Begins []int
	Ends   []int
	Marked []bool
	// Notes are what an ObjectReader sink said of each value (0: it did
	// not read it); nil where values were not offered to it.
	Notes []uint64

	lines    int           // newlines in Data, and its last line if unterminated
	overlong int           // lines skipped as overlong (not in Data)
	buf      []byte        // the buffer Data lives in, recycled once fed
	err      error         // a fault reading the chunk
	done     chan struct{} // closed once the worker is done with it
	// at and to are the bytes of the file a fileSource chunk is cut
	// around, read by the worker when pending.
	at, to  int64
	pending bool
}

// Scan reads r with f and hands the chunks to sink. It sniffs the format
// as Sniff does. A large regular *os.File is read through a memory
// mapping, with the same results.
func Scan[R any](r io.Reader, f *Filter, sink Sink[R]) (Counts, error) {
	if file, ok := r.(*os.File); ok {
		if c, done, err := scanFile(file, f, sink); done {
			return c, err
		}
	}
	br, isJSON, err := Sniff(r)
	if err != nil {
		return Counts{}, err
	}
	if isJSON {
		return scanJSON(br, f, sink)
	}
	return scanText(br, f, sink)
}

// scanBuf is the size of the buffers the text fast path reads into: large
// reads mean few system calls, and MaxLine keeps the overlong-line rule of
// the chunker unchanged.
const scanBuf = MaxLine

// planSample is how much of the first chunk the prefilter's plan samples.
const planSample = 256 << 10

// chunkSource cuts the input into chunks of whole lines for scanChunks.
type chunkSource interface {
	// next returns the next chunk; it is called from the reader goroutine
	// only. The first chunk holds its Data; a later one may be pending.
	next() (c Chunk, ok bool)
	// load reads a pending chunk's Data, on a worker.
	load(c *Chunk)
	// fed is called from the feeding goroutine once c is fed.
	fed(c *Chunk)
	// err is the reading error, once next has returned false.
	err() error
}

// readSource reads the input with a Chunker into buffers recycled through
// free once fed.
type readSource struct {
	c     *Chunker
	free  chan []byte
	n     int
	ahead int
}

func (s *readSource) next() (Chunk, bool) {
	if s.n > 0 {
		s.c.detach(s.free, s.n < s.ahead+1)
	}
	s.n++
	chunk, ok := s.c.Next()
	return Chunk{Data: chunk, buf: s.c.buf}, ok
}

func (s *readSource) load(*Chunk) {}

func (s *readSource) fed(j *Chunk) {
	if cap(j.buf) == scanBuf {
		select {
		case s.free <- j.buf[:scanBuf]:
		default:
		}
	}
}

func (s *readSource) err() error { return s.c.Err() }

// scanText is Scan on text read from r.
func scanText[R any](r io.Reader, f *Filter, sink Sink[R]) (Counts, error) {
	var readCounts Counts // the chunker's, owned by the reader until it is done
	ahead := scanAhead()
	c := NewChunker(r, &readCounts)
	c.fill = scanBuf / 2
	src := &readSource{c: c, free: make(chan []byte, ahead+1), ahead: ahead}
	counts, err := scanChunks(src, f, sink)
	counts.Lines += readCounts.Lines
	counts.Overlong += readCounts.Overlong
	return counts, err
}

func scanWorkers() int { return min(max(runtime.GOMAXPROCS(0), 1), 4) }

// scanAhead is how many chunks are read ahead of the feeder.
func scanAhead() int { return 2 * scanWorkers() }

// scanChunks is the pipeline of the text scan. A reader cuts the input
// into chunks of whole lines, workers on every core (reading their chunks
// themselves when the source leaves them pending) run the keyword
// prefilter over their chunks and then sink.Work, and this goroutine hands
// the chunks to sink.Feed in input order, so the sink sees exactly what a
// serial scan would. Memory is bounded by the chunks in flight.
func scanChunks[R any](src chunkSource, f *Filter, sink Sink[R]) (Counts, error) {
	type job struct {
		Chunk
		r R
	}
	workers := scanWorkers()
	ordered := make(chan *job, scanAhead())
	work := make(chan *job)
	var readErr error
	var stop atomic.Bool // the feeder gave up: read no further
	var pf *prefilter    // planned on the first chunk, before any worker reads it

	go func() {
		defer close(work)
		defer close(ordered)
		for !stop.Load() {
			c, ok := src.next()
			if !ok {
				readErr = src.err()
				return
			}
			if pf == nil {
				pf = f.planned(c.Data[:min(len(c.Data), planSample)])
			}
			j := &job{Chunk: c}
			j.done = make(chan struct{})
			ordered <- j
			work <- j
		}
	}()
	for range workers {
		go func() {
			for j := range work {
				src.load(&j.Chunk)
				filterChunk(pf, &j.Chunk, &j.r, sink)
			}
		}()
	}

	var counts Counts
	var err error
	for j := range ordered {
		<-j.done
		if err == nil {
			err = j.err
		}
		if err == nil {
			counts.Lines += j.lines + j.overlong
			counts.Overlong += j.overlong
			if len(j.Data) > 0 {
				err = sink.Feed(&j.Chunk, j.r)
			}
		}
		if err != nil {
			stop.Store(true) // drain what is in flight
			continue
		}
		src.fed(&j.Chunk)
	}
	// ordered is closed only after the reader's last write to readErr.
	if err == nil {
		err = readErr
	}
	return counts, err
}

// filterChunk counts c's lines, finds those holding a keyword and runs
// sink.Work on it into *r; a chunk that failed to read or holds no line
// is left alone.
func filterChunk[R any](pf *prefilter, c *Chunk, r *R, sink Sink[R]) {
	defer close(c.done)
	if c.err != nil || len(c.Data) == 0 {
		return
	}
	c.Starts, c.lines = pf.lines(c.Data, nil)
	if c.Data[len(c.Data)-1] != '\n' {
		c.lines++
	}
	*r = sink.Work(c)
}

// feed is sink.Feed, with a memory fault on a mapping as its error.
func feed[R any](sink Sink[R], c *Chunk, r R, mapped bool) (err error) {
	if mapped {
		defer catchFault(&err)
	}
	return sink.Feed(c, r)
}

// catchFault, deferred, turns a memory fault (with debug.SetPanicOnFault
// on) into *err; any other panic goes on.
func catchFault(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if f, ok := r.(interface{ Addr() uintptr }); ok && f.Addr() != 0 {
		*err = fmt.Errorf("reading log: the file shrank while it was read (fault at %#x); scan it again once it is no longer truncated", f.Addr())
		return
	}
	panic(r)
}

// detach gives the chunker a new buffer holding the unread rest of the old
// one, so the chunks already handed out stay valid while it reads on. The
// new buffer is a recycled one when free has one, else a new one when
// mayAlloc, else it waits for one. Once the input is exhausted only the
// rest is kept, so a short log never costs a large buffer.
func (c *Chunker) detach(free chan []byte, mayAlloc bool) {
	rest := c.buf[c.start:c.end]
	var nb []byte
	switch {
	case c.err != nil:
		nb = make([]byte, len(rest))
	case mayAlloc:
		select {
		case nb = <-free:
		default:
			nb = make([]byte, scanBuf)
		}
	default:
		nb = <-free
	}
	c.end = copy(nb, rest)
	c.buf, c.start = nb, 0
}
