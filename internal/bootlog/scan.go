package bootlog

import (
	"bytes"
	"io"
	"runtime"
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
	done   chan struct{}
}

// scanText is Scan's fast path on flyctl's text format. A reader cuts the
// input into chunks of whole lines, workers on every core run the keyword
// prefilter over their chunks, and this goroutine parses and feeds the few
// selected lines in log order, so the engine sees exactly what a serial
// scan would. Memory is bounded by the buffers in flight.
func (e *Engine) scanText(r io.Reader) (Stats, error) {
	workers := min(max(runtime.GOMAXPROCS(0), 1), 4)
	ahead := 2 * workers // chunks read ahead of the feeder
	var readSt Stats     // the chunker's counts, owned by the reader until it is done
	c := newChunker(r, &readSt)
	free := make(chan []byte, ahead+1)
	ordered := make(chan *scanJob, ahead)
	work := make(chan *scanJob)
	var readErr error

	go func() {
		defer close(work)
		defer close(ordered)
		planned := false
		for n := 0; ; n++ {
			if n > 0 {
				c.detach(free, n < ahead+1)
			}
			chunk, ok := c.next()
			if !ok {
				readErr = c.readErr()
				return
			}
			if !planned {
				e.pf.plan(chunk[:min(len(chunk), planSample)]) // before any worker reads the plan
				planned = true
			}
			j := &scanJob{chunk: chunk, buf: c.buf, done: make(chan struct{})}
			ordered <- j
			work <- j
		}
	}()
	for range workers {
		go func() {
			p := newTextParser()
			for j := range work {
				j.lines = bytes.Count(j.chunk, []byte{'\n'})
				if j.chunk[len(j.chunk)-1] != '\n' {
					j.lines++
				}
				// The prefilter skips most lines, so read the time of the
				// chunk's last line: a zero now in Findings means the end of
				// the log.
				last := bytes.TrimRight(j.chunk, "\r\n")
				if en, ok := p.parse(last[bytes.LastIndexByte(last, '\n')+1:]); ok {
					j.last = en.Time
				}
				j.starts = e.pf.lines(j.chunk, nil)
				close(j.done)
			}
		}()
	}

	var st Stats
	p := newTextParser()
	for j := range ordered {
		<-j.done
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
		if cap(j.buf) == scanBuf {
			select {
			case free <- j.buf[:scanBuf]:
			default:
			}
		}
	}
	// ordered is closed only after the reader's last write to readSt and readErr.
	st.Lines += readSt.Lines
	st.Overlong += readSt.Overlong
	return st, readErr
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
