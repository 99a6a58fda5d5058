package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
)

// What the Fly client learns of the APIs' limits is kept in the state
// directory for the next command: one entry per API and host, the newest
// kept, and a file that cannot be read is passed over and replaced.
func TestLearnedLimitsKept(t *testing.T) {
	at := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		before string // the file's content; "" for none
		learn  []flyapi.LearnedLimit
		want   []flyapi.LearnedLimit // what the next command starts from
	}{
		{"none kept", "", nil, nil},
		{"one learned", "", []flyapi.LearnedLimit{{API: "logs", Host: "api.fly.io", InFlight: 9, At: at}},
			[]flyapi.LearnedLimit{{API: "logs", Host: "api.fly.io", InFlight: 9, At: at}}},
		{"a lower one replaces it", "", []flyapi.LearnedLimit{
			{API: "logs", Host: "api.fly.io", InFlight: 9, At: at},
			{API: "machines", Host: "api.machines.dev", InFlight: 3, At: at},
			{API: "logs", Host: "api.fly.io", InFlight: 6, At: at.Add(time.Second)},
		}, []flyapi.LearnedLimit{
			{API: "machines", Host: "api.machines.dev", InFlight: 3, At: at},
			{API: "logs", Host: "api.fly.io", InFlight: 6, At: at.Add(time.Second)},
		}},
		{"a corrupt file is replaced", "{not json", []flyapi.LearnedLimit{{API: "logs", Host: "api.fly.io", InFlight: 9, At: at}},
			[]flyapi.LearnedLimit{{API: "logs", Host: "api.fly.io", InFlight: 9, At: at}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), apiLimitsFile)
			if tt.before != "" {
				if err := os.WriteFile(path, []byte(tt.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			start, learn := learnedLimits(path)
			if len(start) != 0 {
				t.Fatalf("started from %+v, want nothing", start)
			}
			for _, ll := range tt.learn {
				learn(ll)
			}
			got, _ := learnedLimits(path)
			if len(got) != len(tt.want) {
				t.Fatalf("next command starts from %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].API != tt.want[i].API || got[i].Host != tt.want[i].Host || got[i].InFlight != tt.want[i].InFlight || !got[i].At.Equal(tt.want[i].At) {
					t.Errorf("next command starts from %+v, want %+v", got, tt.want)
				}
			}
		})
	}
}

// The file holds a bounded number of limits, the newest.
func TestLearnedLimitsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), apiLimitsFile)
	_, learn := learnedLimits(path)
	for i := range maxKeptLimits + 5 {
		learn(flyapi.LearnedLimit{API: "logs", Host: filepath.Join("host", string(rune('a'+i))), InFlight: 9})
	}
	got, _ := learnedLimits(path)
	if len(got) != maxKeptLimits || got[len(got)-1].Host != filepath.Join("host", string(rune('a'+maxKeptLimits+4))) {
		t.Errorf("kept %d limits ending with %+v, want the newest %d", len(got), got[len(got)-1], maxKeptLimits)
	}
}
