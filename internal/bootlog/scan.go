package bootlog

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog/fastscan"
)

// Scan reads a log like Read and feeds every entry that can matter to the
// engine. On flyctl's text format it is the fast path: a keyword prefilter
// over whole chunks picks the lines to parse, so Stats.Entries and
// Stats.Unparsed count only those lines (Lines and Overlong count all). A
// keyword split by a colour code inside a message is not seen by Scan;
// Read with Feed sees it. A large regular *os.File is read through a
// memory mapping, with the same results. On JSON it decodes in parallel
// and skips the full decoding of values that cannot hold a keyword, with
// the results and Stats of Read with Feed.
func (e *Engine) Scan(r io.Reader) (Stats, error) {
	if e.pf == nil {
		return Read(r, func(en Entry) error { e.Feed(en); return nil })
	}
	s := &scanSink{e: e}
	counts, err := fastscan.Scan(r, e.pf, s)
	s.st.add(counts)
	return s.st, err
}

// scanSink is the engine's side of fastscan.Scan: it parses the lines and
// decodes the JSON values of a chunk that may matter, and feeds them.
type scanSink struct {
	e      *Engine
	p      *textParser // the feeding goroutine's
	st     Stats
	shapes shapes // of the JSON objects read so far, shared by the workers
}

// chunkResult is what a worker made of a chunk.
type chunkResult struct {
	last      time.Time // the latest entry time (text: of the chunk's last line)
	entries   int       // JSON entries
	malformed int       // JSON values that did not decode
	feed      []Entry   // JSON entries holding a keyword, in order
}

func (s *scanSink) Work(c *fastscan.Chunk) chunkResult {
	if c.JSON {
		return s.e.decodeValues(c, &s.shapes)
	}
	// The prefilter skips most lines, so read the time of the chunk's last
	// line: a zero now in Findings means the end of the log.
	var r chunkResult
	var p textParser
	last := bytes.TrimRight(c.Data, "\r\n")
	if en, ok := p.parse(last[bytes.LastIndexByte(last, '\n')+1:]); ok {
		r.last = en.Time
	}
	return r
}

// ReadObject lets the splitter of a mapped JSON file skip the objects
// the strict reader reads whole (see fastscan.ObjectReader).
func (s *scanSink) ReadObject(b []byte) (int, uint64) { return s.shapes.readObject(b) }

func (s *scanSink) Feed(c *fastscan.Chunk, r chunkResult) error {
	e := s.e
	if r.last.After(e.last) {
		e.last = r.last
	}
	if c.JSON {
		s.st.Entries += r.entries
		s.st.Malformed += r.malformed
		for _, en := range r.feed {
			e.Feed(en)
		}
		return nil
	}
	if s.p == nil {
		s.p = newTextParser()
	}
	for _, start := range c.Starts {
		line := c.Data[start:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		en, parsed := s.p.parse(line)
		if parsed {
			s.st.Entries++
		} else {
			s.st.Unparsed++
		}
		e.Feed(en)
	}
	return nil
}

// decodeValues works out what readJSON would hand Feed for c's values:
// how many entries and malformed values, the latest time, and the entries
// whose message holds a keyword. A value the filter did not mark cannot
// hold a keyword once decoded, so it is only checked for validity, shape
// and timestamp by quickJSON (or one of the shapes it learnt), which
// gives up to json.Unmarshal on anything unusual.
func (e *Engine) decodeValues(c *fastscan.Chunk, sh *shapes) chunkResult {
	var r chunkResult
	var q quickJSON
	for k, end := range c.Ends {
		obj := c.Data[c.Begins[k]:end]
		if !c.Marked[k] {
			isEntry, ts, ok := false, []byte(nil), false
			if c.Notes != nil && c.Notes[k] != 0 {
				isEntry, ts = fromNote(obj, c.Notes[k])
				ok = true
			} else {
				isEntry, ts, ok = sh.entry(&q, obj)
			}
			if ok {
				if isEntry {
					r.entries++
					if t, ok := parseTime(ts); ok && t.After(r.last) {
						r.last = t
					}
				}
				continue
			}
		}
		var doc jsonDoc
		if err := json.Unmarshal(obj, &doc); err != nil {
			r.malformed++
			continue
		}
		for _, j := range doc.entries() {
			r.entries++
			en := j.entry()
			if en.Time.After(r.last) {
				r.last = en.Time
			}
			if e.pf.Any(en.Message) {
				r.feed = append(r.feed, en)
			}
		}
	}
	return r
}
