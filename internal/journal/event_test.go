package journal

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/advice"
)

// testdata/v0 holds journals as jpops wrote them before event data was
// typed (when the engine wrote maps), recorded from `jpops drill --yes` of
// every scenario and one drill interrupted during the hold, with the drill's
// temporary paths and loopback port normalised. They are frozen on purpose:
// they stand for journals already on operators' disks, so they are never
// regenerated.
// newerThanV0 are the kinds added since testdata/v0 was written: no journal
// of that version can hold them.
var newerThanV0 = map[string]bool{KindPage: true, KindSmokeMachine: true}

func TestReadsJournalsOfEarlierVersions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "v0", "*"+Ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no journals in testdata/v0: %v", err)
	}
	seen := map[string]bool{}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			log, err := ReadFrom(bytes.NewReader(raw))
			if err != nil || log.Torn {
				t.Fatalf("ReadFrom: %v (torn %v)", err, log.Torn)
			}
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			if len(lines) != len(log.Events) {
				t.Fatalf("%d events from %d lines", len(log.Events), len(lines))
			}
			for i, e := range log.Events {
				seen[e.Kind] = true
				if _, unknown := e.Data.(Unknown); unknown || e.Data == nil || e.Data.Kind() != e.Kind {
					t.Errorf("line %d: %s read as %T", i+1, e.Kind, e.Data)
					continue
				}
				wantSameData(t, i+1, lines[i], e)
			}
		})
	}
	for _, p := range Payloads() {
		if !seen[p.Kind()] && !newerThanV0[p.Kind()] {
			t.Errorf("no %s event in testdata/v0: record a drill that writes one", p.Kind())
		}
	}
}

// wantSameData checks that the typed payload writes back every key of the
// line's data with the same value. Zero values (false, 0, "", null, empty lists) may be
// left out: the struct omits some of them, and a reader sees zero either way.
func wantSameData(t *testing.T, n int, line string, e Event) {
	t.Helper()
	var before struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(line), &before); err != nil {
		t.Fatal(err)
	}
	if next, ok := before.Data["next"].(string); ok && before.Data["next_note"] == nil {
		// Advice from before next_note is split on read (TestOldAdviceIsSplitOnRead).
		a := advice.Legacy(next)
		before.Data["next"], before.Data["next_note"] = a.Command, a.Note
	}
	written, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("line %d: %v", n, err)
	}
	var after struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(written, &after); err != nil {
		t.Fatal(err)
	}
	for k, v := range before.Data {
		got, ok := after.Data[k]
		if !ok && isZero(v) {
			continue
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("line %d (%s): %q = %v, written back as %v", n, e.Kind, k, v, got)
		}
	}
	for k := range after.Data {
		if _, ok := before.Data[k]; !ok && !isZero(after.Data[k]) {
			t.Errorf("line %d (%s): key %q appeared", n, e.Kind, k)
		}
	}
}

func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// TestOldAdviceIsSplitOnRead reads the advice of the frozen journals, which
// held a command and its note in one string, or prose naming commands in
// backticks: each reads as a command alone and a note, never prose as a
// command.
func TestOldAdviceIsSplitOnRead(t *testing.T) {
	tests := []struct {
		file, phase string
		next, note  string
		notePrefix  bool // note is the start of the note
		atEnd       bool // incident_end holds the same advice
	}{
		{"db-boot-hang.ndjson", "bootlogs", "jpops run -a autonomath-api", "", false, false},
		{"other-failure.ndjson", "diagnose", "flyctl logs -a autonomath-api --no-tail", "", false, true},
		{"fix-missing.ndjson", "smoke", "flyctl logs -a autonomath-api -m 85e273f4b1c638 --no-tail",
			"then jpops smoke -a autonomath-api --image sha256:9b054e6feccce482c698af2bd06bb5f490372e6837495381613bc3240e8c4768", false, true},
		{"deploy-fails.ndjson", "escape", "", "rerun `flyctl deploy --remote-only --strategy rolling -a autonomath-api` by hand", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "v0", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			log, err := ReadFrom(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			var verdicts []Verdict
			var end IncidentEnd
			for _, e := range log.Events {
				switch d := e.Data.(type) {
				case Verdict:
					if e.Phase == tt.phase {
						verdicts = append(verdicts, d)
					}
				case IncidentEnd:
					end = d
				}
			}
			if len(verdicts) == 0 {
				t.Fatalf("no verdict in phase %s", tt.phase)
			}
			read := []advice.Advice{verdicts[len(verdicts)-1].Advice()}
			if tt.atEnd {
				read = append(read, end.Advice())
			}
			for _, got := range read {
				noteOK := got.Note == tt.note || (tt.notePrefix && strings.HasPrefix(got.Note, tt.note))
				if got.Command != tt.next || !noteOK {
					t.Errorf("read as command %q, note %q; want command %q, note %q", got.Command, got.Note, tt.next, tt.note)
				}
			}
		})
	}
}

// TestNewAdviceIsReadAsWritten checks that a journal with next_note is not
// split again: the command and the note come back as they were written.
func TestNewAdviceIsReadAsWritten(t *testing.T) {
	for _, p := range []Payload{
		Verdict{Next: "jpops run -a x", NextNote: "when ready # no command here", Reason: "r", Verdict: "ABORTED"},
		Verdict{Next: "", NextNote: "rerun from the deploy directory; nothing was deployed"},
		IncidentEnd{Next: "flyctl logs -a x --no-tail", NextNote: "then jpops smoke -a x --image IMG", ExitCode: 4},
	} {
		b, err := json.Marshal(New("p", p))
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Data, p) {
			t.Errorf("%s read back as %+v", b, back.Data)
		}
	}
}

func TestDecodeData(t *testing.T) {
	tests := []struct {
		name, kind, data string
		want             Payload
	}{
		{"typed", KindMachine, `{"id":"a","checks_passing":1,"checks_total":2,"signature":true}`, Machine{ID: "a", ChecksPassing: 1, ChecksTotal: 2, Signature: true}},
		{"a wrong type keeps the other fields", KindMachine, `{"id":"a","checks_total":"1","signature":true}`, Machine{ID: "a", Signature: true}},
		{"no data", KindPhaseStart, ``, PhaseStart{}},
		{"null data", KindNote, `null`, Note{}},
		{"unknown keys ignored", KindNote, `{"text":"x","later":1}`, Note{Text: "x"}},
		{"unknown kind kept as written", "launch", `{"x":[1,2]}`, Unknown{Name: "launch", Raw: json.RawMessage(`{"x":[1,2]}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeData(tt.kind, json.RawMessage(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeData(%s, %s) = %#v, want %#v", tt.kind, tt.data, got, tt.want)
			}
		})
	}
	if _, err := DecodeData(KindNote, json.RawMessage(`[1`)); err == nil {
		t.Error("DecodeData of broken JSON: no error")
	}
}

func TestUnknownKindWritesBackAsRead(t *testing.T) {
	line := `{"ts":"2026-05-11T12:20:05Z","seq":1,"incident":"x","mode":"live","phase":"incident","kind":"launch","data":{"b":1,"a":[true]}}`
	var e Event
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != line {
		t.Errorf("unknown kind written back as\n%s\nwant\n%s", out, line)
	}
}
