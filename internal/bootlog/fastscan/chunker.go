package fastscan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the longest line (or JSON value) read; longer ones are
// skipped and counted in Counts.Overlong, so memory stays bounded.
const MaxLine = 1 << 20

// Counts is what splitting the input saw, apart from what its consumer
// makes of the pieces.
type Counts struct {
	Lines     int // physical lines of input, including blank and overlong ones
	Overlong  int // lines or JSON values longer than MaxLine, skipped
	Malformed int // bytes between JSON values, and a truncated last value
}

var bom = []byte("\xef\xbb\xbf")

// Sniff peeks past a UTF-8 byte order mark and leading whitespace for
// '{' (or an array of objects).
func Sniff(r io.Reader) (*bufio.Reader, bool, error) {
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

// Chunker hands out runs of whole lines from one buffer that grows up to
// MaxLine. A longer line is skipped up to its newline and counted.
type Chunker struct {
	r          io.Reader
	buf        []byte
	start, end int
	skipping   bool
	err        error
	st         *Counts
	// fill is how many bytes a chunk waits for before it is cut, unless
	// the buffer is full or the input ended: from a pipe a read returns at
	// most 64 KiB, and every chunk costs a hand-off between goroutines.
	fill int
	// clean is how many bytes from start are known to hold no newline, so
	// a long line arriving in small reads is searched once, not once a read.
	clean int
}

// NewChunker reads r; it adds the lines it skips as overlong to st.
func NewChunker(r io.Reader, st *Counts) *Chunker {
	return &Chunker{r: r, buf: make([]byte, 64<<10), st: st}
}

// Next returns the next run of whole lines (the last one possibly without
// its newline), valid until the following call; false once r is exhausted.
func (c *Chunker) Next() ([]byte, bool) {
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

// Err is the error that ended the reading, if it was not the end of input.
func (c *Chunker) Err() error {
	if c.err == nil || errors.Is(c.err, io.EOF) {
		return nil
	}
	return fmt.Errorf("reading log: %w", c.err)
}
