package bootlog

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// scanBuf is the size of the buffers the text fast path reads into: large
// reads mean few system calls, and MaxLine keeps the overlong-line rule of
// the chunker unchanged.
const scanBuf = MaxLine

// planSample is how much of the first chunk the prefilter's plan samples.
const planSample = 256 << 10

// scanJob is one chunk of whole lines on its way through the pipeline.
type scanJob struct {
	chunk  []byte
	buf    []byte // the buffer chunk lives in, recycled once fed
	lines  int
	last   time.Time // time of the chunk's last line, zero if it had none
	starts []int     // offsets of the lines holding a keyword
	err    error     // a fault reading the chunk
	done   chan struct{}
}

// chunkSource cuts the input into chunks of whole lines for scanChunks.
type chunkSource interface {
	// next returns the next chunk and the buffer it lives in; it is called
	// from the reader goroutine only.
	next() (chunk, buf []byte, ok bool)
	// fed is called from the feeding goroutine once j's lines are fed.
	fed(j *scanJob)
	// err is the reading error, once next has returned false.
	err() error
}

// readSource reads the input with a chunker into buffers recycled through
// free once fed.
type readSource struct {
	c     *chunker
	free  chan []byte
	n     int
	ahead int
}

func (s *readSource) next() ([]byte, []byte, bool) {
	if s.n > 0 {
		s.c.detach(s.free, s.n < s.ahead+1)
	}
	s.n++
	chunk, ok := s.c.next()
	return chunk, s.c.buf, ok
}

func (s *readSource) fed(j *scanJob) {
	if cap(j.buf) == scanBuf {
		select {
		case s.free <- j.buf[:scanBuf]:
		default:
		}
	}
}

func (s *readSource) err() error { return s.c.readErr() }

// scanText is Scan's fast path on flyctl's text format read from r.
func (e *Engine) scanText(r io.Reader) (Stats, error) {
	var readSt Stats // the chunker's counts, owned by the reader until it is done
	ahead := scanAhead()
	c := newChunker(r, &readSt)
	c.fill = scanBuf / 2
	src := &readSource{c: c, free: make(chan []byte, ahead+1), ahead: ahead}
	st, err := e.scanChunks(src, false)
	st.Lines += readSt.Lines
	st.Overlong += readSt.Overlong
	return st, err
}

func scanWorkers() int { return min(max(runtime.GOMAXPROCS(0), 1), 4) }

// scanAhead is how many chunks are read ahead of the feeder.
func scanAhead() int { return 2 * scanWorkers() }

// scanChunks is the pipeline of Scan's text fast path. A reader cuts the
// input into chunks of whole lines, workers on every core run the keyword
// prefilter over their chunks, and this goroutine parses and feeds the few
// selected lines in log order, so the engine sees exactly what a serial
// scan would. Memory is bounded by the chunks in flight. With mapped, a
// memory fault on the input (a mapped file truncated under us) becomes an
// error instead of a crash.
func (e *Engine) scanChunks(src chunkSource, mapped bool) (Stats, error) {
	workers := scanWorkers()
	ordered := make(chan *scanJob, scanAhead())
	work := make(chan *scanJob)
	var readErr error
	var stop atomic.Bool // the feeder gave up: read no further

	go func() {
		defer close(work)
		defer close(ordered)
		if mapped {
			debug.SetPanicOnFault(true)
			defer catchFault(&readErr)
		}
		planned := false
		for !stop.Load() {
			chunk, buf, ok := src.next()
			if !ok {
				readErr = src.err()
				return
			}
			if !planned {
				e.pf.plan(chunk[:min(len(chunk), planSample)]) // before any worker reads the plan
				planned = true
			}
			j := &scanJob{chunk: chunk, buf: buf, done: make(chan struct{})}
			ordered <- j
			work <- j
		}
	}()
	for range workers {
		go func() {
			if mapped {
				debug.SetPanicOnFault(true)
			}
			p := newTextParser()
			for j := range work {
				e.prefilterJob(j, p, mapped)
			}
		}()
	}

	if mapped {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	}
	var st Stats
	var err error
	p := newTextParser()
	for j := range ordered {
		<-j.done
		if err == nil {
			err = j.err
		}
		if err == nil {
			err = e.feedJob(j, p, &st, mapped)
		}
		if err != nil {
			stop.Store(true) // drain what is in flight
			continue
		}
		src.fed(j)
	}
	// ordered is closed only after the reader's last write to readErr.
	if err == nil {
		err = readErr
	}
	return st, err
}

// prefilterJob counts j's lines and finds those holding a keyword.
func (e *Engine) prefilterJob(j *scanJob, p *textParser, mapped bool) {
	defer close(j.done)
	if mapped {
		defer catchFault(&j.err)
	}
	j.starts, j.lines = e.pf.lines(j.chunk, nil)
	if j.chunk[len(j.chunk)-1] != '\n' {
		j.lines++
	}
	// The prefilter skips most lines, so read the time of the chunk's last
	// line: a zero now in Findings means the end of the log.
	last := bytes.TrimRight(j.chunk, "\r\n")
	if en, ok := p.parse(last[bytes.LastIndexByte(last, '\n')+1:]); ok {
		j.last = en.Time
	}
}

// feedJob parses and feeds j's selected lines.
func (e *Engine) feedJob(j *scanJob, p *textParser, st *Stats, mapped bool) (err error) {
	if mapped {
		defer catchFault(&err)
	}
	st.Lines += j.lines
	if j.last.After(e.last) {
		e.last = j.last
	}
	for _, s := range j.starts {
		line := j.chunk[s:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		en, parsed := p.parse(line)
		if parsed {
			st.Entries++
		} else {
			st.Unparsed++
		}
		e.Feed(en)
	}
	return nil
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
func (c *chunker) detach(free chan []byte, mayAlloc bool) {
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
