package fastscan

import (
	"bytes"
	"io"
	"math"
	"os"
)

// mapMin is the least size of a file scanned through its own path (read
// at offsets by the workers, or mapped for JSON): below it, reading costs
// less than setting that up.
const mapMin = 4 << 20

// scanFile is Scan on a large regular file: text is read by the workers
// themselves, each its own chunks at their offsets (fileSource), and JSON
// too, each span at its offset, with a read-only memory mapping beside it
// for spans too long to copy (scanJSONFile).
// done is false, with f untouched, when the file is small or not regular,
// or JSON that cannot be mapped; Scan then reads it.
//
// The size is taken once: lines appended while scanning are not read. A
// file truncated while it is read makes the scan return an error.
func scanFile[R any](f *os.File, filter *Filter, sink Sink[R]) (counts Counts, done bool, err error) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > math.MaxInt {
		return Counts{}, false, nil
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || fi.Size()-off < mapMin {
		return Counts{}, false, nil
	}
	return fileScan(f, int(fi.Size()), off, filter, sink)
}

// fileScan is scanFile once the file is known to hold size bytes and to be
// read from off.
func fileScan[R any](f *os.File, size int, off int64, filter *Filter, sink Sink[R]) (counts Counts, done bool, err error) {
	if off < 0 || off >= int64(size) {
		return Counts{}, false, nil
	}
	// sniff's buffer never reaches the scan: skip what it consumed (a byte
	// order mark) and nothing else.
	sr := io.NewSectionReader(f, off, int64(size)-off)
	br, isJSON, err := Sniff(sr)
	if err != nil {
		return Counts{}, true, err
	}
	read, _ := sr.Seek(0, io.SeekCurrent)
	off += read - int64(br.Buffered())
	if isJSON {
		data, merr := mapFile(f, size)
		if merr != nil {
			return Counts{}, false, nil // read it instead
		}
		defer unmap(data)
		counts, err = scanJSONFile(f, data, int(off), filter, sink)
	} else {
		src := newFileSource(f, off, int64(size))
		counts, err = scanChunks(src, filter, sink)
		src.close()
	}
	if _, serr := f.Seek(int64(size), io.SeekStart); serr != nil && err == nil {
		err = serr // where reading to the end would have left it
	}
	return counts, true, err
}

// mapSource hands out chunks that are slices of a mapped file, cut by the
// chunker's rules: whole lines, at most MaxLine bytes a window, a line of
// MaxLine bytes or more skipped and counted, a last line without newline
// kept.
type mapSource struct {
	data []byte  // the mapping, from the start of the file
	pos  int     // start of the next chunk
	st   *Counts // Lines and Overlong of the skipped lines
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
