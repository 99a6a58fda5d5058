// Package journal is the append-only, crash-safe incident journal
// (docs/journal.md): one NDJSON file per incident, one fsynced line per event.
// It stores events; internal/incident reads them (into the view resume, the
// metrics and every face render) and internal/postmortem writes the draft.
package journal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jpops-dev/jpops/internal/redact"
)

// Ext is the file extension of a journal.
const Ext = ".ndjson"

// Journal appends events to one incident's file. It is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	id   string
	mode string
	seq  int
	size int64 // bytes of complete lines, to cut back a failed write
	now  func() time.Time
}

// safeID reports whether id is a safe file name for a journal: 1 to 128
// letters, digits, dots, underscores and dashes, not starting with one of
// the last three. (A regexp with {0,127} would cost every start-up of the
// binary about half a millisecond to compile.)
func safeID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// NewID returns a sortable, readable incident ID such as
// 20260511T114000Z-autonomath-api-3f9c; the random suffix keeps two
// incidents started in the same second apart.
func NewID(app string, now time.Time) string {
	var b [2]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + slug(app) + "-" + hex.EncodeToString(b[:])
}

// slug keeps an app name safe in a file name.
func slug(app string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(app) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
		if sb.Len() >= 63 {
			break
		}
	}
	s := strings.Trim(sb.String(), "-")
	if s == "" {
		return "app"
	}
	return s
}

// Create starts a new journal <dir>/<id>.ndjson (dir is the incidents
// directory, created 0700; the file is 0600). It fails if the file exists.
func Create(dir, id, mode string) (*Journal, error) {
	if !safeID(id) {
		return nil, fmt.Errorf("journal: incident ID %q is not a safe file name; use journal.NewID", id)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, writeErr("create journal directory "+dir, err)
	}
	path := filepath.Join(dir, id+Ext)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("journal: %s already exists; resume it with `jpops resume` or pick a new incident ID", path)
	}
	if err != nil {
		return nil, writeErr("create journal "+path, err)
	}
	syncDir(dir)
	return &Journal{f: f, path: path, id: id, mode: mode, now: time.Now}, nil
}

// Open reopens an existing journal to resume it. It returns the events
// already recorded; appends continue their sequence. A torn last line
// (a crash mid-append) is cut away first, keeping every complete line.
//
// The file is opened O_APPEND, so every write lands at the end of the file
// as it is then, never over a line another process wrote: a resume racing
// the run it resumes can add lines but never tear or overwrite one.
func Open(path string) (*Journal, []Event, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("journal: %s does not exist; list journals with `jpops journal`", path)
		}
		return nil, nil, writeErr("open journal "+path, err)
	}
	unlock, locked := lockFile(f)
	log, err := ReadFrom(io.NewSectionReader(f, 0, 1<<62))
	if err == nil && log.Torn && locked {
		err = f.Truncate(log.Size)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			err = writeErr("repair torn last line of "+path, err)
		}
	} else if err != nil {
		err = fmt.Errorf("journal %s: %w", path, err)
	}
	unlock()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	j := &Journal{f: f, path: path, size: log.Size, now: time.Now}
	for _, e := range log.Events {
		j.seq = max(j.seq, e.Seq)
		if j.mode == "" {
			j.mode = e.Mode
		}
		if j.id == "" {
			j.id = e.Incident
		}
	}
	if j.id == "" {
		j.id = strings.TrimSuffix(filepath.Base(path), Ext)
	}
	return j, log.Events, nil
}

// SetClock replaces the clock that stamps events (tests, drills).
func (j *Journal) SetClock(now func() time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.now = now
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// ID is the incident ID.
func (j *Journal) ID() string { return j.id }

// Mode is the journal's mode (live, drill, dry-run).
func (j *Journal) Mode() string { return j.mode }

// Append stamps e (TS in UTC, the next Seq, Incident and Mode when empty),
// redacts every string in it, writes it as one line in one write(2) call on
// an O_APPEND file and fsyncs before returning the event as written.
//
// Another process may hold the same journal open (a resume started while
// the run it resumes is still alive). The append-only file keeps each line
// whole whatever happens; an advisory lock held for the append keeps the
// sequence whole too: lines another writer added since our last append are
// read first, so Seq continues after theirs and never repeats.
func (j *Journal) Append(e Event) (Event, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return Event{}, fmt.Errorf("journal %s is closed", j.path)
	}
	unlock, locked := lockFile(j.f)
	defer unlock()
	if locked {
		if err := j.catchUp(); err != nil {
			return Event{}, err
		}
	}
	e.TS = j.now().UTC()
	e.Seq = j.seq + 1
	if e.Kind == "" && e.Data != nil {
		e.Kind = e.Data.Kind()
	}
	if e.Incident == "" {
		e.Incident = j.id
	}
	if e.Mode == "" {
		e.Mode = j.mode
	}
	e = redactEvent(e)
	line, err := json.Marshal(e)
	if err != nil {
		return Event{}, fmt.Errorf("journal: cannot encode %s event: %v", e.Kind, err)
	}
	line = append(line, '\n')
	n, err := j.f.Write(line)
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		if n > 0 && locked {
			// Leave no partial line for the next append to glue onto. The
			// lock is held, so the end of the file is still ours.
			j.f.Truncate(j.size)
		}
		return Event{}, writeErr("append to journal "+j.path, err)
	}
	j.seq = e.Seq
	j.size += int64(n)
	return e, nil
}

// catchUp reads what other writers appended since this one last wrote, so
// the next Seq follows theirs, and cuts away a torn line one of them left
// when it died mid-write (under the lock, no live writer is mid-line).
// It is called with the file locked.
func (j *Journal) catchUp() error {
	fi, err := j.f.Stat()
	if err != nil {
		return writeErr("append to journal "+j.path, err)
	}
	end := fi.Size()
	if end == j.size {
		return nil
	}
	if end < j.size {
		// Cut back by someone else: trust what is there now.
		j.size = 0
	}
	log, err := ReadFrom(io.NewSectionReader(j.f, j.size, end-j.size))
	if err != nil {
		return fmt.Errorf("journal %s: another process wrote to it: %w", j.path, err)
	}
	for _, e := range log.Events {
		j.seq = max(j.seq, e.Seq)
	}
	if log.Torn {
		if err := j.f.Truncate(j.size + log.Size); err != nil {
			return writeErr("repair torn last line of "+j.path, err)
		}
	}
	j.size += log.Size
	return nil
}

// Close closes the file. Every appended event is already on disk.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// writeErr says what failed, why, and what to do about it.
func writeErr(what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("journal: %s: disk full; free space or set JPOPS_STATE_DIR to another disk", what)
	case errors.Is(err, syscall.EROFS), errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("journal: %s: %v (read-only); set JPOPS_STATE_DIR to a writable directory", what, err)
	}
	return fmt.Errorf("journal: %s: %v; check the state directory or set JPOPS_STATE_DIR", what, err)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Redacted returns e with every string redacted, as Append writes it; the
// payload is copied, never changed in place. For events shown without a journal.
func Redacted(e Event) Event { return redactEvent(e) }

// redactEvent returns e with every string redacted. The payload goes through
// its JSON form, so every string field of every kind (and any added later)
// is covered, and comes back as the same typed payload.
func redactEvent(e Event) Event {
	e.Incident = redact.String(e.Incident)
	e.Phase = redact.String(e.Phase)
	e.Kind = redact.String(e.Kind)
	if e.Data != nil {
		e.Data = redactPayload(e.Kind, e.Data)
	}
	return e
}

func redactPayload(kind string, p Payload) Payload {
	b, err := json.Marshal(p)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // keep big integers exact
		var generic any
		if err = dec.Decode(&generic); err == nil {
			b, err = json.Marshal(redactValue(generic))
		}
	}
	if err == nil {
		var out Payload
		if out, err = DecodeData(kind, b); err == nil {
			return out
		}
	}
	return Unknown{Name: kind, Raw: json.RawMessage(fmt.Sprintf("%q", "unencodable "+kind+" data"))}
}

// redactValue redacts every string (keys included) of a decoded JSON value.
func redactValue(v any) any {
	switch v := v.(type) {
	case string:
		return redact.String(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[redact.String(k)] = redactValue(x)
		}
		return out
	case []any:
		for i, x := range v {
			v[i] = redactValue(x)
		}
		return v
	}
	return v // nil, bool, json.Number
}

// lockFile locks a journal for one append or repair and reports whether it
// holds the lock; without it nothing is cut back or read ahead, since another
// writer may be mid-line. A variable so a test can prove lines stay whole
// with no lock at all.
var lockFile = flockFile
