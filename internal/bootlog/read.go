package bootlog

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/jpops-dev/jpops/internal/bootlog/fastscan"
)

// MaxLine is the longest line (or JSON object) read; longer ones are
// skipped and counted in Stats.Overlong, so memory stays bounded.
const MaxLine = fastscan.MaxLine

// Stats counts what a read saw.
type Stats struct {
	Lines     int // physical lines of input, including blank and overlong ones
	Entries   int // entries parsed (text lines with flyctl's prefix, JSON log entries)
	Unparsed  int // text lines without flyctl's prefix, passed on with only Message set
	Overlong  int // lines or JSON objects longer than MaxLine, skipped
	Malformed int // JSON values that did not decode (including a truncated last object), skipped
}

// Read streams log entries from r to fn. It sniffs the format: input whose
// first non-space byte is '{' is a JSON stream (flyctl logs --json, logs API
// pages, or NDJSON of either); anything else is flyctl's text format. Bad
// lines are counted in Stats, never fatal; Read stops at the first error from
// r or fn. Text keeps invalid UTF-8 bytes as they are; JSON strings get
// U+FFFD in their place, as encoding/json does.
func Read(r io.Reader, fn func(Entry) error) (Stats, error) {
	br, isJSON, err := fastscan.Sniff(r)
	if err != nil {
		return Stats{}, err
	}
	if isJSON {
		return readJSON(br, fn)
	}
	return readText(br, fn)
}

func readText(r io.Reader, fn func(Entry) error) (st Stats, err error) {
	var counts fastscan.Counts // the lines the chunker skipped
	defer func() { st.add(counts) }()
	c := fastscan.NewChunker(r, &counts)
	p := newTextParser()
	for {
		chunk, ok := c.Next()
		if !ok {
			return st, c.Err()
		}
		for len(chunk) > 0 {
			line := chunk
			if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
				line, chunk = chunk[:i], chunk[i+1:]
			} else {
				chunk = nil
			}
			st.Lines++
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			e, parsed := p.parse(line)
			if parsed {
				st.Entries++
			} else {
				st.Unparsed++
			}
			if err := fn(e); err != nil {
				return st, err
			}
		}
	}
}

// jsonEntry is one log entry of `flyctl logs --json` or a logs API page's
// data[].attributes. encoding/json matches keys case-insensitively, so the
// Go-cased meta keys of flyctl and the lower-case ones of the API both fit.
type jsonEntry struct {
	Timestamp string
	Message   string
	Level     string
	Instance  string
	Region    string
	Meta      struct {
		Instance string
		Region   string
		Event    struct{ Provider string }
		Error    struct{ Message string }
	}
}

type jsonDoc struct {
	jsonEntry
	Attributes *jsonEntry
	Data       []struct{ Attributes jsonEntry }
}

func (j *jsonEntry) entry() Entry {
	e := Entry{Machine: j.Instance, Region: j.Region, Provider: j.Meta.Event.Provider, Level: j.Level, Message: j.Message}
	if e.Machine == "" {
		e.Machine = j.Meta.Instance
	}
	if e.Region == "" {
		e.Region = j.Meta.Region
	}
	if e.Message == "" {
		e.Message = j.Meta.Error.Message
	}
	if i := indexESC(e.Message); i >= 0 {
		e.Message = string(stripANSI(nil, []byte(e.Message)))
	}
	if t, ok := parseTime([]byte(j.Timestamp)); ok {
		e.Time = t
	}
	return e
}

func indexESC(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			return i
		}
	}
	return -1
}

// entries are the log entries a JSON value holds: a logs API page's, a
// single page item's, or the value itself when it is an entry.
func (d *jsonDoc) entries() []*jsonEntry {
	switch {
	case d.Data != nil:
		list := make([]*jsonEntry, len(d.Data))
		for i := range d.Data {
			list[i] = &d.Data[i].Attributes
		}
		return list
	case d.Attributes != nil:
		return []*jsonEntry{d.Attributes}
	case d.jsonEntry.isEntry():
		return []*jsonEntry{&d.jsonEntry}
	}
	return nil
}

func (j *jsonEntry) isEntry() bool {
	return j.Timestamp != "" || j.Message != "" || j.Instance != "" || j.Level != "" || j.Meta.Instance != ""
}

// readJSON reads the JSON values of the stream (see
// fastscan.SplitJSONValues) and hands the log entries they hold to fn.
func readJSON(r io.Reader, fn func(Entry) error) (st Stats, err error) {
	var counts fastscan.Counts
	defer func() { st.add(counts) }()
	c := fastscan.NewChunker(r, &counts)
	var obj []byte
	err = fastscan.SplitJSONValues(c, &counts, &obj, func() error {
		defer func() { obj = obj[:0] }()
		var doc jsonDoc
		if err := json.Unmarshal(obj, &doc); err != nil {
			st.Malformed++
			return nil
		}
		for _, j := range doc.entries() {
			st.Entries++
			if err := fn(j.entry()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	return st, c.Err()
}

// add adds what splitting the input counted.
func (st *Stats) add(c fastscan.Counts) {
	st.Lines += c.Lines
	st.Overlong += c.Overlong
	st.Malformed += c.Malformed
}
