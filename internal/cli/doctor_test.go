package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/state"
)

func fakeFlyctl(t *testing.T, first string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "flyctl")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho '"+first+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDoctor(t *testing.T) {
	sim, vars := simEnv(t, "healthy")
	vars["JPOPS_FLYCTL"] = fakeFlyctl(t, "flyctl v0.3.120 linux/amd64 Commit: abc BuildDate: 2026-04-01")

	code, out, errOut := runCLI(t, vars, sim.Clock().Now, "doctor", "-a", sim.App())
	if code != 0 {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"ok    flyctl", "v0.3.120", "ok    token    from FLY_API_TOKEN", "ok    api", "ok    app      " + sim.App() + " visible, 2 machine(s)", "ok    runbook", "ok    state", "warn  drill    never drilled  fix: run jpops drill"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, watchSimToken) {
		t.Error("doctor printed the token")
	}

	// A recent drill is ok; an old one warns.
	now := sim.Clock().Now()
	if err := state.RecordDrill(vars["JPOPS_STATE_DIR"], state.DrillRecord{At: now.Add(-3 * 24 * time.Hour), Scenario: "db-boot-hang", Verdict: "RECOVERED"}); err != nil {
		t.Fatal(err)
	}
	if _, out, _ := runCLI(t, vars, sim.Clock().Now, "doctor", "-a", sim.App()); !strings.Contains(out, "ok    drill    last drill") {
		t.Errorf("recent drill not ok:\n%s", out)
	}
	later := func() time.Time { return now.Add(40 * 24 * time.Hour) }
	if _, out, _ := runCLI(t, vars, later, "doctor", "-a", sim.App()); !strings.Contains(out, "warn  drill    last drill") {
		t.Errorf("old drill does not warn:\n%s", out)
	}
}

func TestDoctorFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(vars map[string]string)
		args   []string
		code   int
		want   map[string]string // check → status
	}{
		{"no app", nil, nil, 0, map[string]string{"api": "warn", "token": "ok"}},
		{"refused token", func(v map[string]string) { v["FLY_API_TOKEN"] = "wrong" }, []string{"-a", "autonomath-api"}, 1, map[string]string{"api": "fail"}},
		{"unknown app", nil, []string{"-a", "no-such-app"}, 1, map[string]string{"api": "ok", "app": "fail"}},
		{"no token", func(v map[string]string) { delete(v, "FLY_API_TOKEN") }, []string{"-a", "autonomath-api"}, 1, map[string]string{"token": "fail", "api": "warn"}},
		{"not flyctl", func(v map[string]string) { v["JPOPS_FLYCTL"] = fakeFlyctl(t, "fly 1.0 (a different tool)") }, nil, 0, map[string]string{"flyctl": "warn"}},
		{"bad runbook", nil, []string{"--runbook", "missing.yaml"}, 1, map[string]string{"runbook": "fail"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, vars := simEnv(t, "healthy")
			vars["JPOPS_FLYCTL"] = fakeFlyctl(t, "flyctl v0.3.120 linux/amd64")
			if tc.change != nil {
				tc.change(vars)
			}
			code, out, errOut := runCLI(t, vars, sim.Clock().Now, append([]string{"doctor", "--json", "--config", t.TempDir()}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			var rep struct {
				Checks []doctorCheck `json:"checks"`
				OK     bool          `json:"ok"`
			}
			if err := json.NewDecoder(bytes.NewReader([]byte(out))).Decode(&rep); err != nil {
				t.Fatalf("doctor --json: %v\n%s", err, out)
			}
			if rep.OK != (tc.code == 0) {
				t.Errorf("ok=%v with exit %d", rep.OK, code)
			}
			got := map[string]doctorCheck{}
			for _, c := range rep.Checks {
				got[c.Name] = c
			}
			for name, status := range tc.want {
				if got[name].Status != status {
					t.Errorf("%s: %+v, want %s", name, got[name], status)
				}
				if status == "fail" && got[name].Fix == "" {
					t.Errorf("%s fails with no fix", name)
				}
			}
			if got["token"].Status == "ok" && strings.Contains(out, "wrong") {
				t.Error("doctor printed the token")
			}
		})
	}
}
