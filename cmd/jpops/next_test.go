package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/advice"
)

// TestNextIsACommandAndANote runs the binary and reads its advice from
// every face that carries one: `next` is one command safe to paste (or
// absent), `next_note` the prose, in the JSON of diagnose and scan, in the
// NDJSON of run, and on lines of their own in the plain output.
func TestNextIsACommandAndANote(t *testing.T) {
	t.Parallel()
	type advised struct {
		Next     *string `json:"next"`
		NextNote *string `json:"next_note"`
	}
	wantAdvice := func(t *testing.T, where string, got advised, command, note string) {
		t.Helper()
		if got.Next == nil && command != "" || got.Next != nil && *got.Next != command {
			t.Errorf("%s: next %v, want %q", where, deref(got.Next), command)
		}
		if command != "" {
			if err := advice.Check(command); err != nil {
				t.Errorf("%s: next %q is not safe to paste: %v", where, command, err)
			}
		}
		if note == "" && got.NextNote != nil && *got.NextNote != "" || note != "" && (got.NextNote == nil || !strings.Contains(*got.NextNote, note)) {
			t.Errorf("%s: next_note %v, want one saying %q", where, deref(got.NextNote), note)
		}
	}

	t.Run("diagnose --json", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.startSim("other-failure")
		r := e.run("diagnose", "-a", "autonomath-api", "--json")
		wantCode(t, r, 12)
		var d advised
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
		}
		wantAdvice(t, "diagnose", d, "flyctl logs -a autonomath-api --no-tail", "not the boot hang")
	})

	t.Run("scan --json, with and without the app", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, tt := range []struct {
			args          []string
			command, note string
		}{
			{[]string{"-a", "autonomath-api"}, "jpops run -a autonomath-api", "typed gate"},
			{nil, "", "name the app with -a"},
		} {
			r := e.run(append(append([]string{"scan", "--json"}, tt.args...), testdata(t, "postmortem-hang.log"))...)
			wantCode(t, r, 10)
			var d advised
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
			}
			wantAdvice(t, "scan "+strings.Join(tt.args, " "), d, tt.command, tt.note)
		}
	})

	t.Run("run --json and plain", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.startSim("other-failure")
		r := e.run("run", "--yes", "--json", "-a", "autonomath-api", "--dir", deployDir(t, "entrypoint-guarded.sh"))
		wantCode(t, r, 12)
		seen := 0
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev struct {
				Kind string  `json:"kind"`
				Data advised `json:"data"`
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("a line is not JSON: %v\n%s", err, sc.Text())
			}
			if ev.Kind == "verdict" || ev.Kind == "incident_end" {
				seen++
				wantAdvice(t, ev.Kind, ev.Data, "flyctl logs -a autonomath-api --no-tail", "not the boot hang")
			}
		}
		if seen != 2 {
			t.Errorf("%d verdict and incident_end events, want 2:\n%s", seen, r.stdout)
		}

		r = e.run("run", "--yes", "-a", "autonomath-api", "--dir", deployDir(t, "entrypoint-guarded.sh"))
		wantCode(t, r, 12)
		wantIn(t, "stderr", r.stderr, "\nnext: flyctl logs -a autonomath-api --no-tail\n", "\nnote: read why the machines are down")
	})
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
