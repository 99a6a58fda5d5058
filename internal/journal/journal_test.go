package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 11, 12, 20, 5, 0, time.UTC)

// fixedClock ticks one second per call.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	now := t0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now.In(time.FixedZone("JST", 9*3600)) // Append must convert to UTC
	}
}

func newJournal(t *testing.T) (*Journal, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "incidents")
	j, err := Create(dir, "20260511T122005Z-autonomath-api-7c2e", ModeLive)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	j.SetClock(fixedClock())
	return j, dir
}

func TestAppendReadRoundTrip(t *testing.T) {
	j, dir := newJournal(t)
	in := []Event{
		New(PhaseIncident, IncidentStart{App: "autonomath-api", HoldS: 300}),
		{Phase: "diagnose", Data: Machine{ID: "85e273f4a1b2c3", ChecksPassing: 0, Signature: true}}, // Append fills the kind
		{Phase: PhaseIncident, Kind: KindNote, Mode: ModeDrill, Incident: "other", Data: Note{Text: "explicit fields kept"}},
	}
	for i, e := range in {
		got, err := j.Append(e)
		if err != nil {
			t.Fatal(err)
		}
		if got.Seq != i+1 {
			t.Errorf("event %d: seq = %d, want %d", i, got.Seq, i+1)
		}
		if want := t0.Add(time.Duration(i+1) * time.Second); !got.TS.Equal(want) || got.TS.Location() != time.UTC {
			t.Errorf("event %d: ts = %v, want %v in UTC", i, got.TS, want)
		}
	}

	for path, want := range map[string]os.FileMode{dir: 0o700, j.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", filepath.Base(path), fi.Mode().Perm(), want)
		}
	}
	if want := filepath.Join(dir, j.ID()+Ext); j.Path() != want {
		t.Errorf("Path() = %q, want %q", j.Path(), want)
	}

	got, err := Read(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("read %d events, want %d", len(got), len(in))
	}
	if got[0].Incident != j.ID() || got[0].Mode != ModeLive {
		t.Errorf("defaults not filled: incident %q mode %q", got[0].Incident, got[0].Mode)
	}
	if got[2].Incident != "other" || got[2].Mode != ModeDrill {
		t.Errorf("explicit fields overwritten: incident %q mode %q", got[2].Incident, got[2].Mode)
	}
	if got[0].Data.(IncidentStart).HoldS != 300 || !got[1].Data.(Machine).Signature || got[1].Kind != KindMachine {
		t.Errorf("data did not round-trip: %v %v", got[0].Data, got[1].Data)
	}
	raw, _ := os.ReadFile(j.Path())
	if !bytes.HasSuffix(raw, []byte("\n")) || bytes.Count(raw, []byte("\n")) != len(in) {
		t.Errorf("file is not one line per event:\n%s", raw)
	}
	if !bytes.Contains(raw, []byte(`"ts":"2026-05-11T12:20:06Z"`)) {
		t.Errorf("timestamps not written in UTC RFC 3339:\n%s", raw)
	}
}

func TestConcurrentAppends(t *testing.T) {
	j, _ := newJournal(t)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				line := strings.Repeat(fmt.Sprintf("w%d-%d ", w, i), 40) // long lines tear easily
				if _, err := j.Append(New("escape", CommandOutput{Line: line})); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	log, err := ReadLog(j.Path())
	if err != nil {
		t.Fatal(err) // a torn line in the middle would fail here
	}
	if log.Torn || len(log.Events) != writers*each {
		t.Fatalf("read %d events (torn %v), want %d whole lines", len(log.Events), log.Torn, writers*each)
	}
	for i, e := range log.Events {
		if e.Seq != i+1 {
			t.Fatalf("line %d has seq %d: sequence not unique and monotonic", i+1, e.Seq)
		}
	}
}

// writeEvents writes n complete events and returns the path.
func writeEvents(t *testing.T, n int) string {
	t.Helper()
	j, _ := newJournal(t)
	for i := range n {
		if _, err := j.Append(New("smoke", Hold{ElapsedS: float64(i)})); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	return j.Path()
}

func appendRaw(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestTornTailToleratedAndRepaired(t *testing.T) {
	half := `{"ts":"2026-05-11T12:21:00Z","seq":4,"incident":"x","mode":"live","phase":"smoke","kind":"ho`
	tests := []struct {
		name string
		tail string
	}{
		{"killed mid-append, no newline", half},
		{"whole line but no newline", half + `ld"}`},
		{"zeros after a crash", "\x00\x00\x00\x00\n\x00\x00"},
		{"garbage last line with newline", "{not json\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeEvents(t, 3)
			appendRaw(t, path, tt.tail)

			log, err := ReadLog(path)
			if err != nil {
				t.Fatalf("ReadLog() error = %v, want a tolerated torn tail", err)
			}
			if !log.Torn || len(log.Events) != 3 {
				t.Fatalf("ReadLog() = %d events, torn %v; want 3 complete events, torn", len(log.Events), log.Torn)
			}

			j, events, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			if len(events) != 3 {
				t.Fatalf("Open() returned %d events, want 3", len(events))
			}
			e, err := j.Append(New("smoke", Note{Text: "resumed"}))
			if err != nil {
				t.Fatal(err)
			}
			if e.Seq != 4 || e.Incident != "20260511T122005Z-autonomath-api-7c2e" || e.Mode != ModeLive {
				t.Errorf("resumed append = seq %d incident %q mode %q; want seq 4 of the same incident", e.Seq, e.Incident, e.Mode)
			}
			log, err = ReadLog(path)
			if err != nil || log.Torn || len(log.Events) != 4 || log.Events[3].Kind != KindNote {
				t.Fatalf("after repair: %d events, torn %v, err %v; want 4 clean events", len(log.Events), log.Torn, err)
			}
		})
	}
}

func TestGarbageInTheMiddleIsAnError(t *testing.T) {
	path := writeEvents(t, 1)
	appendRaw(t, path, "this is not json\n")
	appendRaw(t, path, `{"ts":"2026-05-11T12:21:00Z","seq":3,"kind":"note"}`+"\n")
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Read() error = %v, want one naming line 2", err)
	}
	if _, _, err := Open(path); err == nil {
		t.Fatal("Open() of a journal damaged in the middle succeeded; it must refuse to append")
	}
}

// Token shapes from the Fly platform reference; none may reach the file.
var tokenCorpus = []string{
	"FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2FrZXMgYXJlIHRhc3R5IQ==,fm2_lJPEBJ3a",
	"fm1r_aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRva2Vu",
	"fm1a_c2VjcmV0LW1hY2Fyb29uLWJvZHk",
	"fm2_lJPETQAAAAAAAA9nxBBvAdTWcc1nB6PC",
	"fo1_8xKq0mYbZr2c6tLh3vFnPq9W",
	"Bearer fo1_abcdefghijklmnop",
	"Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig",
}

var tokenFragments = []string{"fm2_l", "fm1r_", "fm1a_", "fo1_", "eyJhbGci", "c2VjcmV0"}

func TestSecretsNeverReachTheFile(t *testing.T) {
	j, _ := newJournal(t)
	for _, tok := range tokenCorpus {
		argv := []string{"flyctl", "deploy", "-t", tok}
		images := map[string]string{tok: "token as a key", "m1": "export FLY_ACCESS_TOKEN=" + tok}
		payloads := []Payload{
			CommandOutput{Line: "Authorization: " + tok},
			CommandStart{Argv: argv, Command: "flyctl deploy -t " + tok},
			CommandExit{Code: 1, Error: "401 for token " + tok},
			Precondition{Name: "images_recorded", Images: images, Findings: []string{tok}},
			Note{Text: tok},
		}
		for _, p := range payloads {
			got, err := j.Append(New("escape", p))
			if err != nil {
				t.Fatal(err)
			}
			returned, _ := json.Marshal(got)
			for _, frag := range tokenFragments {
				if bytes.Contains(returned, []byte(frag)) {
					t.Errorf("returned event keeps %q: %s", frag, returned)
				}
			}
			if got.Kind != p.Kind() || got.Data.Kind() != p.Kind() {
				t.Errorf("redaction changed the kind of %T to %s/%T", p, got.Kind, got.Data)
			}
		}
		if argv[3] != tok || images[tok] == "" {
			t.Error("Append changed the caller's data")
		}
	}
	raw, err := os.ReadFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range tokenFragments {
		if bytes.Contains(raw, []byte(frag)) {
			t.Errorf("journal file contains token fragment %q", frag)
		}
	}
	if !bytes.Contains(raw, []byte("[REDACTED]")) {
		t.Error("journal file shows no redaction mask")
	}
	if _, err := Read(j.Path()); err != nil {
		t.Errorf("redacted journal no longer reads: %v", err)
	}
}

func TestUnwritableDirectoryErrors(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Create(filepath.Join(blocker, "incidents"), "20260511T122005Z-a-0000", ModeLive)
	if err == nil || !strings.Contains(err.Error(), "JPOPS_STATE_DIR") {
		t.Fatalf("Create() under a file: error = %v, want one advising JPOPS_STATE_DIR", err)
	}

	if os.Geteuid() != 0 { // root writes through 0500
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		_, err := Create(ro, "20260511T122005Z-a-0000", ModeLive)
		if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "JPOPS_STATE_DIR") {
			t.Fatalf("Create() in a read-only dir: error = %v, want a read-only error advising JPOPS_STATE_DIR", err)
		}
	}

	j, _ := newJournal(t)
	j.Close()
	if _, err := j.Append(Event{Kind: KindNote}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Append() after Close: error = %v, want closed", err)
	}
}

func TestWriteErrorAdvice(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, "disk full"},
		{&os.PathError{Op: "open", Path: "x", Err: os.ErrPermission}, "read-only"},
	} {
		if got := writeErr("append", tt.err).Error(); !strings.Contains(got, tt.want) || !strings.Contains(got, "JPOPS_STATE_DIR") {
			t.Errorf("writeErr(%v) = %q, want %q and JPOPS_STATE_DIR", tt.err, got, tt.want)
		}
	}
}

func TestCreateRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"", "../escape", "a/b", ".hidden"} {
		if _, err := Create(dir, id, ModeLive); err == nil {
			t.Errorf("Create(id %q) succeeded, want an unsafe-name error", id)
		}
	}
	j, err := Create(dir, "20260511T122005Z-a-0000", ModeLive)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, err := Create(dir, "20260511T122005Z-a-0000", ModeLive); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Create() over an existing journal: error = %v, want already exists", err)
	}
	if _, _, err := Open(filepath.Join(dir, "missing.ndjson")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open(missing) error = %v, want does not exist", err)
	}
}

// safeID is the regexp it replaced, ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$.
func TestSafeIDAgreesWithItsRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	ids := []string{"", "a", "20260511T114000Z-autonomath-api-3f9c", "-a", ".a", "_a", "a/b", "../x", "a b", "a\n",
		"é", strings.Repeat("a", 128), strings.Repeat("a", 129), "a.b_c-d", "A9"}
	for _, id := range ids {
		if got, want := safeID(id), re.MatchString(id); got != want {
			t.Errorf("safeID(%q) = %v, the regexp says %v", id, got, want)
		}
	}
}

func TestNewID(t *testing.T) {
	at := time.Date(2026, 5, 11, 20, 40, 0, 0, time.FixedZone("JST", 9*3600))
	tests := []struct{ app, wantPrefix string }{
		{"autonomath-api", "20260511T114000Z-autonomath-api-"},
		{"My App/../x", "20260511T114000Z-my-app----x-"},
		{"", "20260511T114000Z-app-"},
	}
	for _, tt := range tests {
		id := NewID(tt.app, at)
		if !strings.HasPrefix(id, tt.wantPrefix) || !regexp.MustCompile(`-[0-9a-f]{4}$`).MatchString(id) || !safeID(id) {
			t.Errorf("NewID(%q) = %q, want prefix %q, a 4-hex suffix and a safe name", tt.app, id, tt.wantPrefix)
		}
	}
	seen := map[string]bool{}
	for range 50 {
		seen[NewID("a", at)] = true
	}
	if len(seen) < 45 {
		t.Errorf("50 IDs in one second gave only %d distinct", len(seen))
	}
	if a, b := NewID("z", at), NewID("a", at.Add(time.Second)); a >= b {
		t.Errorf("IDs do not sort by time: %q >= %q", a, b)
	}
}

func FuzzRead(f *testing.F) {
	fixture, _ := os.ReadFile("testdata/v0/other-failure.ndjson") // small: a fast baseline
	f.Add(fixture)
	f.Add(fixture[:len(fixture)/2])
	f.Add([]byte(`{"ts":"2026-05-11T12:20:05Z","seq":1,"kind":"note","data":{"text":"x"}}` + "\n{\"seq\":"))
	f.Add([]byte("\x00\x00\n\n   \n"))
	f.Add([]byte("{}\n{\"seq\":1,\"kind\":\"k\",\"data\":[]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		log, err := ReadFrom(bytes.NewReader(data))
		if err != nil {
			return
		}
		if log.Size < 0 || log.Size > int64(len(data)) {
			t.Fatalf("Size %d outside 0..%d", log.Size, len(data))
		}
		// What Open keeps must read back whole and untorn.
		again, err := ReadFrom(bytes.NewReader(data[:log.Size]))
		if err != nil || again.Torn || len(again.Events) != len(log.Events) {
			t.Fatalf("kept prefix reads back as %d events, torn %v, err %v; want %d", len(again.Events), again.Torn, err, len(log.Events))
		}
		// Every event read writes back as a line that reads as the same
		// event, typed payload included: written again, the bytes agree.
		for _, e := range log.Events {
			if e.Data == nil || e.Data.Kind() != e.Kind {
				t.Fatalf("seq %d: kind %q read with payload %T", e.Seq, e.Kind, e.Data)
			}
			line, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("seq %d does not encode: %v", e.Seq, err)
			}
			var back Event
			if err := json.Unmarshal(line, &back); err != nil {
				t.Fatalf("seq %d written as %s, which does not read: %v", e.Seq, line, err)
			}
			again, err := json.Marshal(back)
			if err != nil || !bytes.Equal(again, line) || back.Kind != e.Kind || back.Data.Kind() != e.Kind {
				t.Fatalf("seq %d written as\n%s\nread back and written as\n%s", e.Seq, line, again)
			}
		}
	})
}
