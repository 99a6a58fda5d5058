// Package state says where jpops keeps what outlives one run (incident
// journals, watchdog state, drill history) and writes it crash-safely.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/jpops-dev/jpops/internal/boundedfile"
)

// Layout of the state directory.
const (
	IncidentsDir = "incidents"   // one NDJSON journal per incident
	WatchDir     = "watch"       // watchdog state
	DrillsFile   = "drills.json" // drill history
)

// maxDrills bounds drill history so the file stays small forever.
const maxDrills = 200

// Dir returns the state directory: JPOPS_STATE_DIR, else
// $XDG_STATE_HOME/jpops, else ~/.local/state/jpops (docs/journal.md).
func Dir(getenv func(string) string, home string) (string, error) {
	if d := getenv("JPOPS_STATE_DIR"); d != "" {
		return filepath.Clean(d), nil
	}
	// The XDG spec says relative paths are invalid and must be ignored.
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "jpops"), nil
	}
	if home == "" {
		return "", errors.New("state: no home directory to keep journals in; set JPOPS_STATE_DIR")
	}
	return filepath.Join(home, ".local", "state", "jpops"), nil
}

// Ensure creates dir and its subdirectories (mode 0700) and checks that a
// file can be written there, so a read-only or full disk is found before an
// incident depends on it.
func Ensure(dir string) error {
	for _, d := range []string{dir, filepath.Join(dir, IncidentsDir), filepath.Join(dir, WatchDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return unwritable(dir, err)
		}
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return unwritable(dir, err)
	}
	name := f.Name()
	_, err = f.Write([]byte("ok\n"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	os.Remove(name)
	if err != nil {
		return unwritable(dir, err)
	}
	return nil
}

func unwritable(dir string, err error) error {
	return fmt.Errorf("state directory %s is not writable (%w); set JPOPS_STATE_DIR to a writable directory", dir, unwrapPath(err))
}

// unwrapPath drops the path from a *PathError, which the caller already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// DrillRecord is one finished drill.
type DrillRecord struct {
	At        time.Time `json:"at"`
	Scenario  string    `json:"scenario"`
	Incident  string    `json:"incident"`
	Verdict   string    `json:"verdict"`
	DurationS float64   `json:"duration_s"`
}

// RecordDrill adds d to the drill history in dir, atomically.
func RecordDrill(dir string, d DrillRecord) error {
	path := filepath.Join(dir, DrillsFile)
	var history []DrillRecord
	if err := LoadJSON(path, &history); err != nil {
		return err
	}
	history = append(history, d)
	sort.SliceStable(history, func(i, j int) bool { return history[i].At.Before(history[j].At) })
	if len(history) > maxDrills {
		history = history[len(history)-maxDrills:]
	}
	return SaveJSON(path, history)
}

// LastDrill returns the most recent drill in dir's history; false when none.
func LastDrill(dir string) (DrillRecord, bool, error) {
	var history []DrillRecord
	if err := LoadJSON(filepath.Join(dir, DrillsFile), &history); err != nil {
		return DrillRecord{}, false, err
	}
	var last DrillRecord
	for _, d := range history {
		if d.At.After(last.At) || last.At.IsZero() {
			last = d
		}
	}
	return last, len(history) > 0, nil
}

// MaxStateSize bounds a state file: the watch state of 1,000 wedged
// machines and three notifiers is a few MiB.
const MaxStateSize = 16 << 20

// LoadJSON decodes the JSON file at path into v. A missing file leaves v
// untouched and is not an error: state starts empty.
func LoadJSON(path string, v any) error {
	b, err := boundedfile.ReadFile(path, MaxStateSize, "a jpops state file")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var tl *boundedfile.TooLargeError
	if errors.As(err, &tl) {
		return fmt.Errorf("state: %w; move it aside and jpops starts afresh", err)
	}
	if err != nil {
		return fmt.Errorf("read state %s: %w", path, unwrapPath(err))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("state file %s is not valid JSON (%v); move it aside and jpops starts afresh", path, err)
	}
	return nil
}

// SaveJSON writes v as JSON to path atomically (temp file beside it, mode
// 0600, fsync, rename, then fsync of the directory), so a crash leaves
// either the old file or the new one.
func SaveJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state %s: %w", path, err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return unwritable(dir, err)
	}
	if err := ReplaceFile(path, b, 0o600); err != nil {
		return unwritable(dir, err)
	}
	syncDir(dir) // the file is synced, not the rename
	return nil
}

// syncDir makes a rename durable; best effort, since not every platform
// can fsync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
