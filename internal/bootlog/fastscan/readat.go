package fastscan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// fileSpan is the span of a file each chunk of fileSource is cut around:
// small enough that what a worker reads is still in its core's cache when
// it scans it (256 KiB took half the CPU time of 1 MiB).
const fileSpan = 256 << 10

// fileTail is how far past its span a chunk's first read goes, so the
// line running over the span's end is most often read with it.
const fileTail = 4 << 10

// hugePage is the size of the huge pages bufferArena asks for.
const hugePage = 2 << 20

// fileSource hands out a file's text in chunks that the workers read
// themselves, side by side, at their offsets (pread) into recycled
// buffers. Reading copies, where a memory mapping does not, but faulting
// a mapping's pages in costs more than the copy on many machines (four
// times as much CPU on a virtual one), and the buffers keep memory flat.
//
// Chunk k is cut around the span [start+k*span, start+(k+1)*span)
// of the file and holds the lines that start in it: from the first line
// start in the span (the byte before it is a newline) through the end of
// the last such line, past the span's end. The chunker's rules hold line
// by line: a line of MaxLine bytes or more is skipped and counted, and a
// last line without newline is kept.
type fileSource struct {
	r          io.ReaderAt
	start, end int64 // the text read: from start, a line start, to the size taken once
	pos        int64 // where the next span begins
	span, tail int   // fileSpan and fileTail, but in tests
	free       chan []byte
	unmap      func() // returns the buffers' arena, once the scan is over
}

func newFileSource(r io.ReaderAt, start, end int64) *fileSource {
	return &fileSource{r: r, start: start, end: end, pos: start, span: fileSpan, tail: fileTail}
}

func (s *fileSource) next() (Chunk, bool) {
	if s.free == nil {
		s.buffers()
	}
	if s.pos >= s.end {
		return Chunk{}, false
	}
	c := Chunk{at: s.pos, to: min(s.pos+int64(s.span), s.end), pending: true}
	if s.pos == s.start { // read here: the plan samples it
		s.load(&c)
	}
	s.pos = c.to
	return c, true
}

// load reads c's lines into a buffer of its own.
func (s *fileSource) load(c *Chunk) {
	if !c.pending {
		return
	}
	c.pending = false
	from := c.at
	if c.at > s.start {
		from-- // whether a line starts at c.at is told by the byte before
	}
	// Offsets below are into buf, which holds the file from from on.
	spanEnd := int(c.to - from)
	fileEnd := int(s.end - from)
	buf := s.buffer(min(spanEnd+s.tail, fileEnd))
	c.buf = buf
	have, err := s.read(buf, 0, from)
	if err != nil {
		c.err = err
		return
	}
	first := 0
	if from < c.at {
		i := bytes.IndexByte(buf[:spanEnd-1], '\n')
		if i < 0 {
			return // no line starts in the span: the previous chunk's line goes on
		}
		first = i + 1
	}
	if buf[spanEnd-1] == '\n' {
		c.Data = buf[first:spanEnd]
		return
	}
	// The line running over the span's end starts at last; its newline
	// must come before last+MaxLine.
	last := bytes.LastIndexByte(buf[first:spanEnd], '\n') + first + 1
	limit := min(last+MaxLine, fileEnd)
	searched := spanEnd
	for {
		if i := bytes.IndexByte(buf[searched:min(have, limit)], '\n'); i >= 0 {
			c.Data = buf[first : searched+i+1]
			return
		}
		searched = min(have, limit)
		if searched == limit {
			break
		}
		// Read on, twice as far each time, into a buffer large enough.
		want := min(max(2*(have-spanEnd), s.tail, 1)+have, limit)
		if want > cap(buf) {
			nb := make([]byte, want, min(max(want, 2*cap(buf)), spanEnd+MaxLine+1))
			copy(nb, buf[:have])
			buf, c.buf = nb, nb
		}
		buf = buf[:want]
		n, err := s.read(buf, have, from)
		if err != nil {
			c.err = err
			return
		}
		have = n
	}
	if fileEnd-last < MaxLine { // the last line of the file, without a newline
		c.Data = buf[first:fileEnd]
		return
	}
	c.Data = buf[first:last] // the line is overlong: skipped
	c.overlong = 1
}

// read fills buf[have:] from the file at from+have, returning how much of
// buf is filled: all of it, else an error.
func (s *fileSource) read(buf []byte, have int, from int64) (int, error) {
	n, err := s.r.ReadAt(buf[have:], from+int64(have))
	if n == len(buf)-have {
		return len(buf), nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("reading log: the file shrank while it was read (%d bytes at offset %d, %d expected); scan it again once it is no longer truncated", n, from+int64(have), len(buf)-have)
	}
	return 0, fmt.Errorf("reading log: %w", err)
}

// buffers fills free with as many buffers, in one arena, as there can be
// chunks read and not yet fed: the chunks queued in order, the one being
// fed and the first, read before the workers start. Should more be
// needed, buffer makes them.
func (s *fileSource) buffers() {
	n, size := scanAhead()+2, s.span+1+s.tail
	s.free = make(chan []byte, n+scanWorkers()+2)
	bufs, unmap := arenaBuffers(n, size)
	s.unmap = unmap
	for _, b := range bufs {
		s.free <- b
	}
}

// arenaBuffers cuts n buffers of size bytes out of one bufferArena, and
// returns them with the function that returns the arena; none where there
// is no arena.
func arenaBuffers(n, size int) ([][]byte, func()) {
	arena, unmap := bufferArena(n * size)
	bufs := make([][]byte, 0, n)
	for i := 0; i+size <= len(arena) && len(bufs) < n; i += size {
		bufs = append(bufs, arena[i:i+size:i+size])
	}
	return bufs, unmap
}

// close returns the buffers' arena, once no chunk is in use.
func (s *fileSource) close() {
	if s.unmap != nil {
		s.unmap()
	}
}

// buffer is a recycled buffer, or a new one, of n bytes.
func (s *fileSource) buffer(n int) []byte {
	select {
	case b := <-s.free:
		if cap(b) >= n {
			return b[:n]
		}
	default:
	}
	return make([]byte, n, max(n, s.span+1+s.tail))
}

func (s *fileSource) fed(c *Chunk) {
	if c.buf != nil {
		select {
		case s.free <- c.buf:
		default:
		}
	}
}

func (s *fileSource) err() error { return nil }
