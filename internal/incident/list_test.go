package incident

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

func TestListAndLatest(t *testing.T) {
	dir := t.TempDir()
	if got, err := List(filepath.Join(dir, "none")); err != nil || len(got) != 0 {
		t.Fatalf("List(missing) = %v, %v; want empty", got, err)
	}
	starts := map[string]time.Time{"old": t0, "new": t0.Add(48 * time.Hour), "mid": t0.Add(time.Hour)}
	for name, at := range starts {
		j, err := journal.Create(dir, name, journal.ModeDrill)
		if err != nil {
			t.Fatal(err)
		}
		j.SetClock(func() time.Time { return at })
		j.Append(journal.New(journal.PhaseIncident, journal.IncidentStart{App: "app-" + name}))
		if name != "mid" {
			j.Append(journal.New(journal.PhaseIncident, journal.IncidentEnd{Verdict: "RECOVERED", ExitCode: 0}))
		}
		j.Close()
	}
	os.WriteFile(filepath.Join(dir, "broken.ndjson"), []byte("junk\n"+`{"seq":1,"kind":"note"}`+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a journal"), 0o600)

	got, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range got {
		order = append(order, s.ID)
	}
	if strings.Join(order, ",") != "new,mid,old,broken" {
		t.Fatalf("List order = %v, want new,mid,old,broken", order)
	}
	if s := got[0]; s.App != "app-new" || s.Mode != journal.ModeDrill || s.Verdict != "RECOVERED" || s.Events != 2 || !s.Started.Equal(starts["new"]) || s.Ended.IsZero() {
		t.Errorf("summary = %+v", s)
	}
	if got[1].Verdict != "" || !got[1].Ended.IsZero() {
		t.Errorf("open incident summarised as ended: %+v", got[1])
	}
	if got[3].Err == nil {
		t.Error("broken journal listed without its error")
	}
	latest, ok, err := Latest(dir)
	if err != nil || !ok || latest.ID != "new" {
		t.Errorf("Latest() = %q, %v, %v; want new", latest.ID, ok, err)
	}
}
