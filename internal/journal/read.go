package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Log is what a reader found in a journal.
type Log struct {
	Events []Event
	// Torn is set when the file ends in an incomplete or unreadable line:
	// the trace of a crash mid-append. That line was never acknowledged
	// (Append returns only after the whole line and its newline are synced),
	// so dropping it loses no event.
	Torn bool
	// Size is the length in bytes of the complete lines, where Open cuts a
	// torn file back to before appending.
	Size int64
}

// MaxSize bounds the journal a reader takes in.
const MaxSize = 32 << 20

// ReadFrom reads a journal. A torn last line is tolerated and reported in
// Log.Torn. An unreadable line followed by good ones is an error naming its
// line number: the journal is damaged in the middle, and silently skipping
// events would make resume and the post-mortem lie.
func ReadFrom(r io.Reader) (Log, error) {
	// Bounded: the deploy's output is budgeted (so a real journal stays far
	// below this), and a journal that is a device or an endless file must
	// fail at once rather than fill memory.
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return Log{}, fmt.Errorf("read journal: %w", err)
	}
	if len(data) > MaxSize {
		return Log{}, fmt.Errorf("larger than %d MiB, more than any incident writes (a device or an endless file?); move it aside", MaxSize>>20)
	}
	var log Log
	off, lineNo := 0, 0
	for off < len(data) {
		lineNo++
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			log.Torn = true // no newline: the write never finished
			break
		}
		next := off + nl + 1
		line := bytes.TrimSpace(data[off : off+nl])
		if len(line) > 0 {
			e, err := parseEvent(line)
			if err != nil {
				if blank(data[next:]) {
					log.Torn = true // a damaged tail, e.g. zeros after a crash
					break
				}
				return Log{}, fmt.Errorf("line %d is not a journal event (%v); the file is damaged before its end: move it aside or cut that line out", lineNo, err)
			}
			log.Events = append(log.Events, e)
		}
		off = next
		log.Size = int64(next)
	}
	return log, nil
}

func parseEvent(line []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(line, &e); err != nil {
		return Event{}, err
	}
	if e.Kind == "" || e.Seq <= 0 {
		return Event{}, errors.New("no kind or seq")
	}
	return e, nil
}

// blank reports whether b holds nothing but whitespace and NUL bytes.
func blank(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n\x00")) == 0
}

// ReadLog reads the journal at path.
func ReadLog(path string) (Log, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Log{}, fmt.Errorf("journal %s does not exist; list journals with `jpops journal`", path)
		}
		return Log{}, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	log, err := ReadFrom(f)
	if err != nil {
		return Log{}, fmt.Errorf("journal %s: %w", path, err)
	}
	return log, nil
}

// Read returns the events of the journal at path, tolerating a torn last line.
func Read(path string) ([]Event, error) {
	log, err := ReadLog(path)
	return log.Events, err
}
