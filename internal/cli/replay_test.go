package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden from what the code renders now")

// The replay's scorecard, from the journal recorded from a replay drill
// (go generate ./internal/incident), set beside the post-mortem's timeline.
func TestReplayScorecard(t *testing.T) {
	events, err := journal.Read(filepath.Join("..", "incident", "testdata", "recorded", "replay-2026-05-11"+journal.Ext))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	printReplayScorecard(&b, incident.Reduce(events).Metrics())
	got := b.String()
	for _, row := range []string{"hang began", "detected (first page)", "diagnosed (HANG_CONFIRMED)", "escape decided", "image built", "first machine healthy", "verified after the hold", "jpops's own time", "instead of 5h12m00s"} {
		if !strings.Contains(got, row) {
			t.Errorf("scorecard lacks %q:\n%s", row, got)
		}
	}
	golden := filepath.Join("testdata", "replay-scorecard.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./internal/cli -run TestReplayScorecard -update)", err)
	}
	if got != string(want) {
		t.Errorf("scorecard changed (go test ./internal/cli -run TestReplayScorecard -update, then review the diff):\n%s", got)
	}
}

// A replay that did not verify sets no total beside the post-mortem's.
func TestReplayScorecardUnverified(t *testing.T) {
	var b bytes.Buffer
	printReplayScorecard(&b, incident.Metrics{})
	if !strings.Contains(b.String(), "did not verify") || strings.Contains(b.String(), "would have lasted") {
		t.Errorf("scorecard of an unverified replay:\n%s", b.String())
	}
}
