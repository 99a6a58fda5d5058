package incident

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

// Summary is one incident in a listing.
type Summary struct {
	ID      string
	App     string
	Mode    string
	Started time.Time
	Ended   time.Time // zero while the incident is open
	Verdict string    // the incident_end verdict; empty while open
	Path    string
	Events  int
	Torn    bool
	Err     error // the journal could not be read; only ID and Path are set
}

// List summarises every journal in dir (the incidents directory), newest
// first. A missing dir is an empty list; an unreadable journal is a row with Err.
func List(dir string) ([]Summary, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list journals in %s: %w", dir, err)
	}
	var out []Summary
	for _, ent := range ents {
		name := ent.Name()
		if ent.IsDir() || !strings.HasSuffix(name, journal.Ext) {
			continue
		}
		s := Summary{ID: strings.TrimSuffix(name, journal.Ext), Path: filepath.Join(dir, name)}
		log, err := journal.ReadLog(s.Path)
		if err != nil {
			s.Err = err
			out = append(out, s)
			continue
		}
		v := Reduce(log.Events)
		if v.Incident != "" {
			s.ID = v.Incident
		}
		s.App, s.Mode, s.Started, s.Ended = v.App(), v.Mode, v.Started, v.Ended
		s.Verdict = string(v.Final)
		s.Events = len(log.Events)
		s.Torn = log.Torn
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.After(out[j].Started)
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

// Latest returns the newest incident in dir; false when there is none.
func Latest(dir string) (Summary, bool, error) {
	all, err := List(dir)
	if err != nil || len(all) == 0 {
		return Summary{}, false, err
	}
	return all[0], true, nil
}
