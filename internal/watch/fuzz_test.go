package watch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/runbook"
)

// The state file is read back from disk, where anything may have written
// it. Whatever it holds, New either refuses it (exactly when it is not the
// state's JSON) or loads this app's alerts from it: none invented, none
// lost, none twice, in order, and the same again after a save.
func FuzzStateFile(f *testing.F) {
	f.Add([]byte(`{"app":"autonomath-api","open":[{"machine":"85e273f4b1c638","op":"checks","since":"2026-05-11T11:40:03Z","raised_at":"2026-05-11T12:18:00Z"}]}`))
	f.Add([]byte(`{"app":"autonomath-api","open":[{"machine":"b","op":"checks"},{"machine":"a","op":"vacuum"},{"machine":"b","op":"checks","region":"nrt"}]}`))
	f.Add([]byte(`{"app":"other","open":[{"machine":"m","op":"integrity_check"}]}`))
	f.Add([]byte(`{"open":null}`))
	f.Add([]byte(`[1,2`))
	f.Add([]byte(``))
	const app = "autonomath-api"
	load := func(t *testing.T, path string) (*Watcher, error) {
		return New(Config{App: app, Runbook: runbook.Default(), Fly: (&wedgedMachine{}).api(), StatePath: path})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "app.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		// What the file says, read without the watcher.
		var file struct {
			App  string       `json:"app"`
			Open []savedAlert `json:"open"`
		}
		fileErr := json.Unmarshal(data, &file)

		w, err := load(t, path)
		if (err != nil) != (fileErr != nil) {
			t.Fatalf("New: %v, but the file decodes with error %v", err, fileErr)
		}
		if err != nil {
			return
		}
		got := w.Open()
		if file.App != "" && file.App != app {
			if len(got) != 0 {
				t.Fatalf("another app's file gave %d open alerts", len(got))
			}
			return
		}
		want := map[[2]string]bool{}
		for _, a := range file.Open {
			want[[2]string{a.Machine, a.Op}] = true
		}
		if len(got) != len(want) {
			t.Fatalf("%d open alerts from %d distinct ones in the file", len(got), len(want))
		}
		for i, a := range got {
			if !want[[2]string{a.Machine, a.Op}] {
				t.Fatalf("alert %+v is not in the file", a)
			}
			if !slices.ContainsFunc(file.Open, func(b savedAlert) bool {
				return b.Machine == a.Machine && b.Op == a.Op && b.Region == a.Region && b.DB == a.DB && b.Since.Equal(a.Since) && b.RaisedAt.Equal(a.RaisedAt)
			}) {
				t.Fatalf("alert %+v differs from every entry of the file with its key", a)
			}
			if i > 0 && (got[i-1].Machine > a.Machine || got[i-1].Machine == a.Machine && got[i-1].Op >= a.Op) {
				t.Fatalf("open alerts out of order or twice: %+v then %+v", got[i-1], a)
			}
		}

		// Saved and loaded again, the alerts are the same.
		again := filepath.Join(t.TempDir(), "again.json")
		if err := state.SaveJSON(again, fileState{App: app, Open: got}); err != nil {
			t.Fatal(err)
		}
		w2, err := load(t, again)
		if err != nil {
			t.Fatalf("the saved state does not load: %v", err)
		}
		if got2 := w2.Open(); len(got2) != len(got) || (len(got) > 0 && !reflect.DeepEqual(normal(got2), normal(got))) {
			t.Fatalf("after a save: %+v, before: %+v", got2, got)
		}
	})
}

// savedAlert is an alert as the state file spells it, read without the
// watcher's own types.
type savedAlert struct {
	Machine  string    `json:"machine"`
	Op       string    `json:"op"`
	Region   string    `json:"region"`
	DB       string    `json:"db"`
	Since    time.Time `json:"since"`
	RaisedAt time.Time `json:"raised_at"`
}

// normal drops the monotonic and location parts JSON does not keep.
func normal(as []OpenAlert) []OpenAlert {
	out := slices.Clone(as)
	for i := range out {
		out[i].Since, out[i].RaisedAt = out[i].Since.UTC().Round(0), out[i].RaisedAt.UTC().Round(0)
	}
	return out
}
