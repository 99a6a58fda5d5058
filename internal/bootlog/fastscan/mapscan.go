package fastscan

import (
	"bytes"
	"io"
	"math"
	"os"
	"runtime/debug"
)

// mapMin is the least size of a file scanned through a memory mapping:
// below it, reading costs less than setting the mapping up.
const mapMin = 4 << 20

// scanFile is Scan on a large regular file, through a read-only memory
// mapping, so the kernel copies nothing: the workers read the page cache
// in place, and on JSON split it too (scanJSONMapped). done is false, with f untouched, when the file is small, not
// regular or cannot be mapped; Scan then reads it.
//
// The size is taken once: lines appended while scanning are not read. A
// file truncated while mapped makes reading past its new end fault (SIGBUS);
// the goroutines touching the mapping turn that fault into an error.
func scanFile[R any](f *os.File, filter *Filter, sink Sink[R]) (counts Counts, done bool, err error) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > math.MaxInt {
		return Counts{}, false, nil
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || fi.Size()-off < mapMin {
		return Counts{}, false, nil
	}
	return mapScan(f, int(fi.Size()), off, filter, sink)
}

// mapScan is scanFile once the file is known to hold size bytes and to be
// read from off.
func mapScan[R any](f *os.File, size int, off int64, filter *Filter, sink Sink[R]) (counts Counts, done bool, err error) {
	if off < 0 || off >= int64(size) {
		return Counts{}, false, nil
	}
	data, err := mapFile(f, size)
	if err != nil {
		return Counts{}, false, nil // read it instead
	}
	defer unmap(data)
	var isJSON bool
	err = guarded(func() error {
		// sniff's buffer never reaches the file: skip what it consumed (a byte
		// order mark) and nothing else.
		rd := bytes.NewReader(data[off:])
		br, js, err := Sniff(rd)
		isJSON = js
		off = int64(len(data)) - int64(rd.Len()) - int64(br.Buffered())
		return err
	})
	if err == nil && isJSON {
		counts, err = scanJSONMapped(data, int(off), filter, sink)
	} else if err == nil {
		var mapCounts Counts
		counts, err = scanChunks(&mapSource{data: data, pos: int(off), st: &mapCounts}, filter, sink, true)
		counts.Lines += mapCounts.Lines
		counts.Overlong += mapCounts.Overlong
	}
	if _, serr := f.Seek(int64(len(data)), io.SeekStart); serr != nil && err == nil {
		err = serr // where reading to the end would have left it
	}
	return counts, true, err
}

// guarded runs fn with memory faults turned into its error.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer catchFault(&err)
	return fn()
}

// mapSource hands out chunks that are slices of a mapped file, cut by the
// chunker's rules: whole lines, at most MaxLine bytes a window, a line of
// MaxLine bytes or more skipped and counted, a last line without newline
// kept.
type mapSource struct {
	data     []byte  // the mapping, from the start of the file
	pos      int     // start of the next chunk
	released int     // data[:released] is dropped from the mapping
	st       *Counts // Lines and Overlong of the skipped lines
}

func (s *mapSource) next() ([]byte, []byte, bool) {
	for s.pos < len(s.data) {
		rest := s.data[s.pos:]
		if i := bytes.LastIndexByte(rest[:min(len(rest), MaxLine)], '\n'); i >= 0 {
			s.pos += i + 1
			return rest[:i+1], nil, true
		}
		if len(rest) < MaxLine { // the last line, without a newline
			s.pos = len(s.data)
			return rest, nil, true
		}
		s.st.Overlong++
		s.st.Lines++
		if i := bytes.IndexByte(rest[MaxLine:], '\n'); i >= 0 {
			s.pos += MaxLine + i + 1
		} else {
			s.pos = len(s.data)
		}
	}
	return nil, nil, false
}

// fed drops the pages before c's end from the mapping, so memory stays
// bounded by the chunks in flight; the page cache keeps them.
func (s *mapSource) fed(c *Chunk) {
	end := len(s.data) - cap(c.Data) + len(c.Data) // c.Data is a slice of data, up to its end
	end -= end % pageSize
	if end > s.released {
		release(s.data[s.released:end])
		s.released = end
	}
}

func (s *mapSource) err() error { return nil }
