package flysim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func quirkSim(t *testing.T, scenario, token string, q Quirks) *httptest.Server {
	t.Helper()
	s, err := New(Options{Scenario: scenario, Speed: 1, Token: token, Quirks: q})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// Strict auth: a macaroon only as FlyV1, any other token only as Bearer.
func TestStrictAuth(t *testing.T) {
	for _, tt := range []struct {
		token, header string
		want          int
	}{
		{"fm2_simmac", "FlyV1 fm2_simmac", http.StatusOK},
		{"fm2_simmac", "Bearer fm2_simmac", http.StatusUnauthorized},
		{"fm2_simmac", "Bearer FlyV1 fm2_simmac", http.StatusUnauthorized},
		{"fm1a_simmac", "FlyV1 fm1a_simmac", http.StatusOK},
		{"fo1_simuser", "Bearer fo1_simuser", http.StatusOK},
		{"fo1_simuser", "FlyV1 fo1_simuser", http.StatusUnauthorized},
	} {
		ts := quirkSim(t, "healthy", tt.token, Quirks{StrictAuth: true})
		if got := do(t, "GET", ts.URL+"/v1/apps/autonomath-api/machines", tt.header, nil).status; got != tt.want {
			t.Errorf("token %s sent as %q: %d, want %d", tt.token, tt.header, got, tt.want)
		}
	}
	// Without the quirk, the lenient platform takes both schemes.
	ts := quirkSim(t, "healthy", "fm2_simmac", Quirks{})
	if got := do(t, "GET", ts.URL+"/v1/apps/autonomath-api/machines", "Bearer fm2_simmac", nil).status; got != http.StatusOK {
		t.Errorf("lenient auth refused Bearer fm2_: %d", got)
	}
}

func TestQuirksOnTheWire(t *testing.T) {
	list := func(q Quirks, scenario string) []map[string]any {
		ts := quirkSim(t, scenario, testToken, q)
		r := do(t, "GET", ts.URL+"/v1/apps/autonomath-api/machines", "Bearer "+testToken, nil)
		var ms []map[string]any
		if err := json.Unmarshal(r.body, &ms); err != nil {
			t.Fatal(err)
		}
		return ms
	}
	svcCheck := func(m map[string]any) map[string]any {
		svcs, _ := m["config"].(map[string]any)["services"].([]any)
		if len(svcs) == 0 {
			return nil
		}
		checks, _ := svcs[0].(map[string]any)["checks"].([]any)
		if len(checks) == 0 {
			return nil
		}
		return checks[0].(map[string]any)
	}
	if g := svcCheck(list(Quirks{IntegerDurations: true}, "db-boot-hang")[0])["grace_period"]; g != float64(60e9) {
		t.Errorf("integer grace_period = %v, want 60000000000 (nanoseconds)", g)
	}
	m := list(Quirks{TopLevelChecks: true}, "db-boot-hang")[0]
	if svcCheck(m) != nil || m["config"].(map[string]any)["checks"].(map[string]any)["healthz"] == nil {
		t.Errorf("top-level checks: %v", m["config"])
	}
	m = list(Quirks{NoChecks: true}, "healthy")[0]
	if svcCheck(m) != nil || len(m["checks"].([]any)) != 0 {
		t.Errorf("no checks: config %v checks %v", m["config"], m["checks"])
	}
	m = list(Quirks{WarningChecks: true}, "db-boot-hang")[0]
	if s := m["checks"].([]any)[0].(map[string]any)["status"]; s != "warning" {
		t.Errorf("warning checks: status %v", s)
	}
	m = list(Quirks{HostStatus: "unreachable"}, "db-boot-hang")[0]
	if m["host_status"] != "unreachable" || m["config"] != nil || m["incomplete_config"] == nil {
		t.Errorf("unreachable host: host_status %v config %v incomplete_config set %v", m["host_status"], m["config"], m["incomplete_config"] != nil)
	}
}

func TestAutoscaledFleet(t *testing.T) {
	ts := quirkSim(t, "autoscaled", testToken, Quirks{})
	r := do(t, "GET", ts.URL+"/v1/apps/autonomath-api/machines", "Bearer "+testToken, nil)
	var ms []struct {
		State  string `json:"state"`
		Config struct {
			Metadata map[string]string `json:"metadata"`
			Standbys []string          `json:"standbys"`
		} `json:"config"`
		Events []struct {
			Type    string `json:"type"`
			Request *struct {
				ExitEvent struct {
					RequestedStop bool `json:"requested_stop"`
				} `json:"exit_event"`
			} `json:"request"`
		} `json:"events"`
	}
	if err := json.Unmarshal(r.body, &ms); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		d := m.State + "/" + m.Config.Metadata["fly_process_group"]
		if len(m.Config.Standbys) > 0 {
			d += "/standby"
		}
		if m.State == "stopped" && (m.Events[0].Type != "exit" || m.Events[0].Request == nil || !m.Events[0].Request.ExitEvent.RequestedStop) {
			t.Errorf("stopped machine %s: newest event %+v, want a requested stop", d, m.Events[0])
		}
		got = append(got, d)
	}
	want := "started/app started/app stopped/app suspended/app stopped/app/standby started/fly_app_console stopped/fly_app_release_command"
	if strings.Join(got, " ") != want {
		t.Errorf("fleet %q, want %q", strings.Join(got, " "), want)
	}
}

func TestNullLogPages(t *testing.T) {
	ts := quirkSim(t, "healthy", testToken, Quirks{NullLogPages: true})
	r := do(t, "GET", ts.URL+"/api/v1/apps/autonomath-api/logs?next_token=4102444800000000000", "Bearer "+testToken, nil)
	if !strings.Contains(string(r.body), `"data":null`) {
		t.Errorf("empty page = %s, want \"data\":null", r.body)
	}
}
