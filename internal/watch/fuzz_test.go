package watch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jpops-dev/jpops/runbook"
)

// The state file is read back from disk, where anything may have written
// it: New either loads it or says why not, and never panics.
func FuzzStateFile(f *testing.F) {
	f.Add([]byte(`{"app":"autonomath-api","open":[{"machine":"85e273f4b1c638","op":"checks","since":"2026-05-11T11:40:03Z","raised_at":"2026-05-11T12:18:00Z"}]}`))
	f.Add([]byte(`{"app":"other","open":[{"machine":"m","op":"integrity_check"}]}`))
	f.Add([]byte(`{"open":null}`))
	f.Add([]byte(`[1,2`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "app.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		w, err := New(Config{App: "autonomath-api", Runbook: runbook.Default(), Fly: (&wedgedMachine{}).api(), StatePath: path})
		if err != nil {
			return
		}
		for _, a := range w.Open() {
			if _, ok := w.open[key(a.Machine, a.Op)]; !ok {
				t.Fatalf("open alert %+v lost its key", a)
			}
		}
	})
}
