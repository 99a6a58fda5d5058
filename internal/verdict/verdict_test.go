package verdict

import "testing"

// The numbers are a contract with scripts and outside tests (docs/cli/jpops.md).
func TestExitCodeTable(t *testing.T) {
	tests := []struct {
		v    Verdict
		want int
	}{
		{Healthy, 0},
		{Recovered, 0},
		{HangConfirmed, 10},
		{Inconclusive, 11},
		{NotThisIncident, 12},
		{EscapeFailed, 20},
		{SmokeFailed, 30},
		{Aborted, 40},
		{Verdict("SOMETHING_ELSE"), 1},
	}
	for _, tt := range tests {
		if got := tt.v.ExitCode(); got != tt.want {
			t.Errorf("%s.ExitCode() = %d, want %d", tt.v, got, tt.want)
		}
	}
	fixed := map[string]int{"ok": ExitOK, "error": ExitError, "usage": ExitUsage, "unauthorized": ExitUnauthorized, "interrupted": ExitInterrupted}
	want := map[string]int{"ok": 0, "error": 1, "usage": 2, "unauthorized": 3, "interrupted": 130}
	for k, v := range fixed {
		if want[k] != v {
			t.Errorf("exit code %s = %d, want %d", k, v, want[k])
		}
	}
}

func TestValid(t *testing.T) {
	for _, v := range All() {
		if !v.Valid() {
			t.Errorf("%s not valid", v)
		}
	}
	if Verdict("nope").Valid() {
		t.Error("unknown verdict reported valid")
	}
}
