package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDir(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		home    string
		want    string
		wantErr string
	}{
		{"explicit wins", map[string]string{"JPOPS_STATE_DIR": "/srv/jpops/", "XDG_STATE_HOME": "/x"}, "/home/op", "/srv/jpops", ""},
		{"xdg", map[string]string{"XDG_STATE_HOME": "/x/state"}, "/home/op", "/x/state/jpops", ""},
		{"relative xdg ignored", map[string]string{"XDG_STATE_HOME": "state"}, "/home/op", "/home/op/.local/state/jpops", ""},
		{"home", nil, "/home/op", "/home/op/.local/state/jpops", ""},
		{"nothing", nil, "", "", "JPOPS_STATE_DIR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Dir(func(k string) string { return tt.env[k] }, tt.home)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Dir() error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Dir() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestEnsureCreatesPrivateDirs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := Ensure(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(dir, IncidentsDir), filepath.Join(dir, WatchDir)} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode = %v, want 0700", d, fi.Mode().Perm())
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".probe") {
			t.Errorf("probe file %s left behind", e.Name())
		}
	}
}

func TestEnsureUnwritable(t *testing.T) {
	// A file where the directory should be fails for root too.
	blocker := filepath.Join(t.TempDir(), "blocker")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := Ensure(filepath.Join(blocker, "state"))
	if err == nil || !strings.Contains(err.Error(), "not writable") || !strings.Contains(err.Error(), "JPOPS_STATE_DIR") {
		t.Fatalf("Ensure() error = %v, want a not-writable error naming JPOPS_STATE_DIR", err)
	}

	if os.Geteuid() == 0 {
		return // root writes through 0500
	}
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(ro); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("Ensure(read-only) error = %v, want not writable", err)
	}
}

func TestDrillHistory(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := LastDrill(dir); ok || err != nil {
		t.Fatalf("LastDrill(empty) = %v, %v; want none, nil", ok, err)
	}
	t0 := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	records := []DrillRecord{
		{At: t0.Add(48 * time.Hour), Scenario: "db-boot-hang", Incident: "b", Verdict: "RECOVERED", DurationS: 312.5},
		{At: t0, Scenario: "healthy", Incident: "a", Verdict: "HEALTHY", DurationS: 4},
	}
	for _, r := range records {
		if err := RecordDrill(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := LastDrill(dir)
	if err != nil || !ok {
		t.Fatalf("LastDrill() = %v, %v", ok, err)
	}
	if got != records[0] {
		t.Errorf("LastDrill() = %+v, want %+v", got, records[0])
	}
	fi, err := os.Stat(filepath.Join(dir, DrillsFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("drills.json mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestDrillHistoryBounded(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var seed []DrillRecord
	for i := range maxDrills + 5 {
		seed = append(seed, DrillRecord{At: t0.Add(time.Duration(i) * time.Hour)})
	}
	if err := SaveJSON(filepath.Join(dir, DrillsFile), seed); err != nil {
		t.Fatal(err)
	}
	if err := RecordDrill(dir, DrillRecord{At: t0.Add(1000 * time.Hour), Incident: "newest"}); err != nil {
		t.Fatal(err)
	}
	var history []DrillRecord
	if err := LoadJSON(filepath.Join(dir, DrillsFile), &history); err != nil {
		t.Fatal(err)
	}
	if len(history) != maxDrills || history[len(history)-1].Incident != "newest" {
		t.Errorf("history has %d records ending %+v; want %d ending with the newest", len(history), history[len(history)-1], maxDrills)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "watch", "autonomath-api.json")
	type watch struct {
		Alerted map[string]time.Time `json:"alerted"`
	}
	var missing watch
	if err := LoadJSON(path, &missing); err != nil || missing.Alerted != nil {
		t.Fatalf("LoadJSON(missing) = %+v, %v; want empty, nil", missing, err)
	}
	in := watch{Alerted: map[string]time.Time{"85e273f4": time.Date(2026, 5, 11, 11, 45, 0, 0, time.UTC)}}
	if err := SaveJSON(path, in); err != nil {
		t.Fatal(err)
	}
	var out watch
	if err := LoadJSON(path, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Alerted["85e273f4"].Equal(in.Alerted["85e273f4"]) {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the state file (no temp files)", len(ents))
	}
	// A state file someone opened up is written back 0600: it may name an
	// incident's machines and notifier state.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SaveJSON(path, in); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten state file mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestLoadJSONCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drills.json")
	if err := os.WriteFile(path, []byte(`[{"at": `), 0o600); err != nil {
		t.Fatal(err)
	}
	var v []DrillRecord
	err := LoadJSON(path, &v)
	if err == nil || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("LoadJSON(corrupt) error = %v, want advice to move it aside", err)
	}
}
