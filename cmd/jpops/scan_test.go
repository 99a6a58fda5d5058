//go:build unix

package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	t.Parallel()
	hang := testdata(t, "postmortem-hang.log")
	hangText, err := os.ReadFile(hang)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hangText), "\x1b[") {
		t.Fatal("the post-mortem log should carry flyctl's colour codes")
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		words []string
	}{
		{name: "post-mortem lines with colour", args: []string{"scan", hang}, code: 10, words: []string{"HANG_CONFIRMED", "integrity_check", "/data/autonomath.db"}},
		{name: "fixed boot log", args: []string{"scan", testdata(t, "postmortem-fixed.log")}, code: 0, words: []string{"HEALTHY"}},
		{name: "piped stdin", args: []string{"scan", "-"}, stdin: string(hangText), code: 10, words: []string{"HANG_CONFIRMED", "integrity_check"}},
		{name: "flyctl logs --json stream", args: []string{"scan", testdata(t, "flyctl-logs.json")}, code: 10, words: []string{"HANG_CONFIRMED", "integrity_check"}},
		{name: "missing file", args: []string{"scan", testdata(t, "no-such.log")}, code: 1, words: []string{"no-such.log"}},
		// The op started 11:40:04; at 11:45 it has run 5m, short of hang_after.
		{name: "still running before hang_after", args: []string{"scan", "--now", "2026-05-11T11:45:00Z", hang}, code: 11, words: []string{"INCONCLUSIVE"}},
		{name: "bad --now", args: []string{"scan", "--now", "yesterday", hang}, code: 2, words: []string{"--now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newEnv(t).runIn(tt.stdin, tt.args...)
			wantCode(t, r, tt.code)
			wantIn(t, "output", r.stdout+r.stderr, tt.words...)
			if strings.Contains(r.stdout, "\x1b[") {
				t.Errorf("colour codes reached the output with NO_COLOR set:\n%q", r.stdout)
			}
		})
	}
}

func TestScanJSON(t *testing.T) {
	t.Parallel()
	r := newEnv(t).run("scan", "--json", "-a", "autonomath-api", testdata(t, "postmortem-hang.log"))
	wantCode(t, r, 10)
	var d struct {
		Verdict  string            `json:"verdict"`
		App      string            `json:"app"`
		Machines []json.RawMessage `json:"machines"`
		Evidence []struct {
			Machine     string   `json:"machine"`
			Timestamp   string   `json:"timestamp"`
			Op          string   `json:"op"`
			DB          string   `json:"db"`
			Line        string   `json:"line"`
			RunningForS *float64 `json:"running_for_s"`
		} `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
	}
	if d.Verdict != "HANG_CONFIRMED" || d.App != "autonomath-api" || d.Machines == nil {
		t.Errorf("verdict %q app %q machines %v", d.Verdict, d.App, d.Machines)
	}
	if len(d.Evidence) == 0 {
		t.Fatal("no evidence")
	}
	ev := d.Evidence[0]
	if ev.Machine != "85e273f4a1b2c3" || ev.Op != "integrity_check" || ev.DB != "/data/autonomath.db" ||
		!strings.HasPrefix(ev.Timestamp, "2026-05-11T11:40:04") || !strings.Contains(ev.Line, "running integrity_check") ||
		ev.RunningForS == nil || *ev.RunningForS < 600 {
		t.Errorf("evidence %+v", ev)
	}
	if strings.Contains(ev.Line, "\x1b[") {
		t.Errorf("evidence line keeps colour codes: %q", ev.Line)
	}
}
