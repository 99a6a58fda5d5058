package journal

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// appendsPerWriter and padding make lines long (several pages of output
// between them) so that writers without O_APPEND would overwrite each other.
const (
	appendsPerWriter = 300
	padding          = 3000
)

// appendAs appends appendsPerWriter notes tagged with writer to the journal
// at path through its own file descriptor.
func appendAs(path, writer string) error {
	j, _, err := Open(path)
	if err != nil {
		return err
	}
	defer j.Close()
	pad := strings.Repeat(writer[:1], padding)
	for i := range appendsPerWriter {
		if _, err := j.Append(New(PhaseIncident, Note{
			Text: fmt.Sprintf("%s %d %s", writer, i, pad),
		})); err != nil {
			return err
		}
	}
	return nil
}

// TestJournalAppenderProcess is not a test: TestTwoProcessesAppendOneJournal
// runs the test binary as a second and third process through it.
func TestJournalAppenderProcess(t *testing.T) {
	path, writer := os.Getenv("JOURNAL_RACE_PATH"), os.Getenv("JOURNAL_RACE_WRITER")
	if path == "" {
		t.Skip("runs only as a child process of TestTwoProcessesAppendOneJournal")
	}
	if err := appendAs(path, writer); err != nil {
		t.Fatal(err)
	}
}

// checkWhole reads the journal back and checks it holds every event of each
// writer exactly once, in each writer's order, on whole lines; with
// wantSeq, the sequence numbers are 1..n with no gap or repeat.
func checkWhole(t *testing.T, path string, writers []string, wantSeq bool) {
	t.Helper()
	log, err := ReadLog(path)
	if err != nil {
		t.Fatalf("journal read back is damaged: %v", err)
	}
	if log.Torn {
		t.Fatal("journal read back ends in a torn line")
	}
	want := 1 + appendsPerWriter*len(writers)
	if len(log.Events) != want {
		t.Fatalf("journal holds %d events, want %d", len(log.Events), want)
	}
	next := map[string]int{}
	for i, e := range log.Events {
		if wantSeq && e.Seq != i+1 {
			t.Fatalf("event %d has seq %d: sequence repeats or skips", i+1, e.Seq)
		}
		if i == 0 {
			continue
		}
		note, _ := e.Data.(Note)
		text := note.Text
		fields := strings.Fields(text)
		if len(fields) != 3 || len(fields[2]) != padding {
			t.Fatalf("event %d text is mangled: %.80q", i+1, text)
		}
		n, _ := strconv.Atoi(fields[1])
		if n != next[fields[0]] {
			t.Fatalf("writer %s: event %d after %d", fields[0], n, next[fields[0]]-1)
		}
		next[fields[0]]++
	}
	for _, w := range writers {
		if next[w] != appendsPerWriter {
			t.Errorf("writer %s: %d events read back, want %d", w, next[w], appendsPerWriter)
		}
	}
}

func startedJournal(t *testing.T) string {
	t.Helper()
	j, err := Create(t.TempDir(), "20260511T122005Z-autonomath-api-race", ModeLive)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(New(PhaseIncident, IncidentStart{App: "autonomath-api"})); err != nil {
		t.Fatal(err)
	}
	j.Close()
	return j.Path()
}

// A resume started while the run it resumes is alive: two processes, each
// with its own file descriptor, append to one journal at once.
func TestTwoProcessesAppendOneJournal(t *testing.T) {
	path := startedJournal(t)
	writers := []string{"run", "resume"}
	var wg sync.WaitGroup
	errs := make([]error, len(writers))
	outs := make([][]byte, len(writers))
	for i, w := range writers {
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalAppenderProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "JOURNAL_RACE_PATH="+path, "JOURNAL_RACE_WRITER="+w)
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %s: %v\n%s", writers[i], err, outs[i])
		}
	}
	checkWhole(t, path, writers, true)
}

// The same race between goroutines holding separate descriptors, once with
// the advisory lock and once with none: O_APPEND alone keeps every line
// whole (only the order of Seq needs the lock).
func TestSeparateDescriptorsAppendOneJournal(t *testing.T) {
	for _, locked := range []bool{true, false} {
		t.Run(map[bool]string{true: "locked", false: "unlocked"}[locked], func(t *testing.T) {
			if !locked {
				saved := lockFile
				lockFile = func(*os.File) (func(), bool) { return func() {}, false }
				t.Cleanup(func() { lockFile = saved })
			}
			path := startedJournal(t)
			writers := []string{"a", "b", "c"}
			var wg sync.WaitGroup
			errs := make([]error, len(writers))
			for i, w := range writers {
				wg.Go(func() { errs[i] = appendAs(path, w) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("writer %s: %v", writers[i], err)
				}
			}
			checkWhole(t, path, writers, locked)
		})
	}
}

// A writer that died mid-line leaves a torn tail; the next append by a live
// writer cuts it away rather than gluing its own line onto it.
func TestAppendCutsAnotherWritersTornLine(t *testing.T) {
	path := startedJournal(t)
	j, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"ts":"2026-05-11T12:20:06Z","seq":2,"incident":"x","kind":"no`)
	f.Close()
	if _, err := j.Append(New(PhaseIncident, Note{Text: "after"})); err != nil {
		t.Fatal(err)
	}
	log, err := ReadLog(filepath.Clean(path))
	if err != nil || log.Torn || len(log.Events) != 2 || log.Events[1].Seq != 2 {
		t.Fatalf("read back %d events (torn %v, err %v), want 2 whole events with seq 1, 2", len(log.Events), log.Torn, err)
	}
}
