//go:build unix

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/flysim"
)

func TestDiagnose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		scenario string
		faults   *flysim.Faults
		token    string // the child's token when it differs from the sim's; "-" for none
		app      string
		code     int
		words    []string // in stdout+stderr
	}{
		{name: "healthy", scenario: "healthy", code: 0, words: []string{"HEALTHY"}},
		{name: "db-boot-hang", scenario: "db-boot-hang", code: 10, words: []string{"HANG_CONFIRMED", "integrity_check", "/data/autonomath.db"}},
		{name: "other-failure", scenario: "other-failure", code: 12, words: []string{"NOT_THIS_INCIDENT"}},
		{name: "logs API down", scenario: "db-boot-hang", faults: &flysim.Faults{LogsDown: true}, code: 11, words: []string{"INCONCLUSIVE"}},
		{name: "flaky api retried", scenario: "flaky-api", code: 10, words: []string{"HANG_CONFIRMED"}},
		{name: "wrong token", scenario: "healthy", token: "FlyV1 fm2_wrongWrongWrong", code: 3},
		{name: "no token", scenario: "healthy", token: "-", code: 3, words: []string{"token"}},
		{name: "unknown app", scenario: "healthy", app: "no-such-app", code: 1, words: []string{"not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := e.startSim(tt.scenario)
			if tt.faults != nil {
				s.SetFaults(*tt.faults)
			}
			switch tt.token {
			case "":
			case "-":
				delete(e.vars, "FLY_API_TOKEN")
			default:
				e.set("FLY_API_TOKEN", tt.token)
			}
			app := tt.app
			if app == "" {
				app = "autonomath-api"
			}
			r := e.run("diagnose", "-a", app)
			wantCode(t, r, tt.code)
			wantIn(t, "output", r.stdout+r.stderr, tt.words...)
			for _, secret := range []string{"fm2_e2eSimToken", "fm2_wrongWrong"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("output shows a token: %s", r)
				}
			}
			if tt.code == 3 && !strings.Contains(strings.ToLower(r.stderr), "token") {
				t.Errorf("a refusal should say what to do about the token:\n%s", r)
			}
		})
	}
}

func TestDiagnoseJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startSim("db-boot-hang")
	r := e.run("diagnose", "-a", "autonomath-api", "--json")
	wantCode(t, r, 10)
	var d struct {
		Verdict  string `json:"verdict"`
		App      string `json:"app"`
		Machines []struct {
			ID            string `json:"id"`
			Region        string `json:"region"`
			State         string `json:"state"`
			ChecksPassing *int   `json:"checks_passing"`
			ChecksTotal   *int   `json:"checks_total"`
			Image         string `json:"image"`
			Signature     *bool  `json:"signature"`
		} `json:"machines"`
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
	if d.Verdict != "HANG_CONFIRMED" || d.App != "autonomath-api" {
		t.Errorf("verdict %q app %q", d.Verdict, d.App)
	}
	if len(d.Machines) != 2 {
		t.Fatalf("want 2 machines, got %d", len(d.Machines))
	}
	for _, m := range d.Machines {
		if m.ID == "" || m.Region != "nrt" || m.State != "started" || m.Image == "" ||
			m.ChecksPassing == nil || m.ChecksTotal == nil || *m.ChecksPassing != 0 || *m.ChecksTotal != 1 ||
			m.Signature == nil || !*m.Signature {
			t.Errorf("machine %+v: want started nrt, checks 0/1, signature true", m)
		}
	}
	hung := 0
	for _, ev := range d.Evidence {
		if ev.Machine == "" || ev.Timestamp == "" || ev.Line == "" || ev.RunningForS == nil {
			t.Errorf("evidence misses a field: %+v", ev)
		}
		if ev.Op == "integrity_check" && ev.DB == "/data/autonomath.db" && *ev.RunningForS > 600 {
			hung++
		}
	}
	if hung == 0 {
		t.Errorf("no evidence of integrity_check on /data/autonomath.db running past 10m: %+v", d.Evidence)
	}
}
