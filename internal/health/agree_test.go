package health_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/internal/watch"
	"github.com/jpops-dev/jpops/runbook"
)

const app = "autonomath-api"

var now = time.Date(2026, 5, 11, 12, 18, 0, 0, time.UTC)

// logLine is one line the fleet's logs API serves.
type logLine struct {
	at       time.Time
	instance string
	message  string
}

// fleetServer serves a fixed machine list and its logs over real HTTP, in
// the wire shapes of the Machines and logs APIs, for the real client.
func fleetServer(t *testing.T, machines []flyapi.Machine, lines []logLine) flyapi.Client {
	t.Helper()
	sort.Slice(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/apps/{app}/machines", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(machines)
	})
	mux.HandleFunc("GET /api/v1/apps/{app}/logs", func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.ParseInt(r.URL.Query().Get("next_token"), 10, 64)
		instance := r.URL.Query().Get("instance")
		type attrs struct {
			Timestamp string `json:"timestamp"`
			Message   string `json:"message"`
			Level     string `json:"level"`
			Instance  string `json:"instance"`
			Region    string `json:"region"`
		}
		type rec struct {
			ID         string `json:"id"`
			Attributes attrs  `json:"attributes"`
		}
		var data []rec // nil marshals as "data": null, as a Go server writes an empty page
		next := r.URL.Query().Get("next_token")
		for i, l := range lines {
			if l.at.UnixNano() <= after || (instance != "" && l.instance != instance) {
				continue
			}
			data = append(data, rec{ID: strconv.Itoa(i), Attributes: attrs{l.at.Format(time.RFC3339Nano), l.message, "info", l.instance, "nrt"}})
			next = strconv.FormatInt(l.at.UnixNano(), 10)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "meta": map[string]any{"next_token": next}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := flyapi.New(flyapi.Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: "fo1_agree", MachinesPerSecond: -1, Backoff: func(int) time.Duration { return time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// deployDir is a deploy directory whose fly.toml names the app, so run's
// phase 3 goes as far as its dry run.
func deployDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fly.toml"), []byte("app = \""+app+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// machine builds one app machine in state, started ago, with checks.
func machine(id, state string, ago time.Duration, checks ...string) flyapi.Machine {
	m := flyapi.Machine{
		ID: id, State: state, Region: "nrt", HostStatus: "ok",
		ImageRef: flyapi.ImageRef{Registry: "registry.fly.io", Repository: app, Tag: "deployment-01", Digest: "sha256:" + fmt.Sprintf("%064d", 1)},
		Config: &flyapi.MachineConfig{
			Image:    "registry.fly.io/" + app + ":deployment-01",
			Metadata: map[string]string{"fly_platform_version": "v2", "fly_process_group": "app", "fly_release_version": "7"},
			Services: []flyapi.Service{{Protocol: "tcp", InternalPort: 8080, Checks: []flyapi.ServiceCheck{{Type: "http", GracePeriod: flyapi.Duration(time.Minute)}}}},
		},
		Events: []flyapi.MachineEvent{{Type: "start", Status: "started", Source: "flyd", Timestamp: now.Add(-ago).UnixMilli()}},
	}
	for i, c := range checks {
		m.Checks = append(m.Checks, flyapi.CheckStatus{Name: fmt.Sprintf("servicecheck-%02d-http-8080", i), Status: c, UpdatedAt: now})
	}
	return m
}

func with(m flyapi.Machine, change func(*flyapi.Machine)) flyapi.Machine { change(&m); return m }

func exitedAgo(ago time.Duration, code, restarts int) func(*flyapi.Machine) {
	return func(m *flyapi.Machine) {
		m.Events = append([]flyapi.MachineEvent{{Type: "exit", Status: "stopped", Source: "flyd", Timestamp: now.Add(-ago).UnixMilli(),
			Request: &flyapi.EventRequest{RestartCount: restarts, ExitEvent: &flyapi.ExitEvent{ExitCode: code, RequestedStop: code == 0}}}}, m.Events...)
	}
}

func group(g string) func(*flyapi.Machine) {
	return func(m *flyapi.Machine) { m.Config.Metadata["fly_process_group"] = g }
}

// The same fleet must get the same verdict from diagnose, run and watch.
func TestDiagnoseRunAndWatchAgree(t *testing.T) {
	wedgedLines := []logLine{
		{now.Add(-38 * time.Minute), "a", "running integrity_check on /data/autonomath.db"},
		{now.Add(-37 * time.Minute), "b", "running integrity_check on /data/autonomath.db"},
	}
	tests := []struct {
		name     string
		machines []flyapi.Machine
		lines    []logLine
		want     verdict.Verdict
	}{
		{"wedged in integrity_check", []flyapi.Machine{machine("a", "started", 38*time.Minute, "critical"), machine("b", "started", 37*time.Minute, "critical")}, wedgedLines, verdict.HangConfirmed},
		{"signature without a full-scan op", []flyapi.Machine{machine("a", "started", 38*time.Minute, "critical")}, []logLine{{now.Add(-30 * time.Minute), "a", "listening on :8080"}}, verdict.Inconclusive},
		{"one in its grace period, one stopped", []flyapi.Machine{machine("a", "started", 20*time.Second, "critical"), with(machine("b", "stopped", time.Hour), exitedAgo(30*time.Minute, 0, 0))}, nil, verdict.Inconclusive},
		{"autoscaled: started, stopped, suspended, a standby, a console", []flyapi.Machine{
			machine("a", "started", time.Hour, "passing"),
			with(machine("b", "stopped", 2*time.Hour), exitedAgo(time.Hour, 0, 0)),
			machine("c", "suspended", 2*time.Hour),
			with(machine("d", "stopped", 3*time.Hour), func(m *flyapi.Machine) { m.Config.Standbys = []string{"a"} }),
			with(machine("e", "started", time.Hour, "critical"), group("fly_app_console")),
		}, wedgedLines, verdict.Healthy},
		{"a release command failing", []flyapi.Machine{machine("a", "started", time.Hour, "passing"), with(machine("r", "stopped", time.Hour), func(m *flyapi.Machine) { group("fly_app_release_command")(m); exitedAgo(time.Minute, 1, 0)(m) })}, nil, verdict.Healthy},
		{"replacing next to a crashed one", []flyapi.Machine{machine("a", "replacing", time.Hour, "critical"), with(machine("b", "stopped", time.Hour), exitedAgo(time.Minute, 1, 9))}, nil, verdict.Inconclusive},
		{"launch_failed", []flyapi.Machine{machine("a", "launch_failed", time.Hour), machine("b", "started", time.Hour, "passing")}, nil, verdict.Inconclusive},
		{"crash loop", []flyapi.Machine{with(machine("a", "stopped", time.Hour), exitedAgo(time.Minute, 1, 9)), with(machine("b", "started", 5*time.Second, "critical"), exitedAgo(10*time.Second, 1, 40))}, nil, verdict.NotThisIncident},
		{"failed", []flyapi.Machine{machine("a", "failed", time.Hour), machine("b", "started", time.Hour, "passing")}, nil, verdict.NotThisIncident},
		{"host unreachable", []flyapi.Machine{with(machine("a", "started", time.Hour, "critical"), func(m *flyapi.Machine) { m.HostStatus, m.IncompleteConfig, m.Config = "unreachable", m.Config, nil }), machine("b", "started", time.Hour, "passing")}, nil, verdict.Inconclusive},
		{"no checks configured", []flyapi.Machine{with(machine("a", "started", time.Hour), func(m *flyapi.Machine) { m.Config.Services = nil })}, nil, verdict.Healthy},
		{"a deploy under way", []flyapi.Machine{with(machine("a", "stopped", time.Hour), func(m *flyapi.Machine) {
			exitedAgo(time.Minute, 1, 0)(m)
			m.Config.Metadata["fly_release_version"] = "8"
		}), machine("b", "started", time.Hour, "passing")}, nil, verdict.Inconclusive},
		{"healthy", []flyapi.Machine{machine("a", "started", time.Hour, "passing"), machine("b", "started", time.Hour, "passing", "passing")}, nil, verdict.Healthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fly := fleetServer(t, tt.machines, tt.lines)
			ctx := context.Background()
			clock := func() time.Time { return now }
			opts := phases.Options{App: app, Runbook: runbook.Default(), Fly: fly, Now: clock}

			d, err := phases.Diagnose(ctx, opts)
			if err != nil {
				t.Fatalf("diagnose: %v", err)
			}
			// run, taken as far as phase 3's dry run, reports the diagnosis.
			runOpts := opts
			runOpts.DryRun, runOpts.Force, runOpts.Yes, runOpts.Flyctl, runOpts.Dir, runOpts.NoBootScript = true, true, true, []string{"flyctl"}, deployDir(t), true
			r, err := phases.Run(ctx, runOpts)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			w, err := watch.New(watch.Config{App: app, Runbook: runbook.Default(), Fly: fly, Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			wv, _, err := w.Once(ctx)
			if err != nil {
				t.Fatalf("watch: %v", err)
			}
			if d.Verdict != tt.want || r.Verdict != tt.want || wv != tt.want {
				t.Errorf("diagnose %s (%s), run %s, watch %s; want %s from all three", d.Verdict, d.Reason, r.Verdict, wv, tt.want)
			}
		})
	}
}

// Every simulated scenario, with the platform's quirks too, through the
// same three: the simulator's fleets must get one verdict as well.
func TestDiagnoseRunAndWatchAgreeOnTheSimulator(t *testing.T) {
	type variant struct {
		scenario string
		quirks   flysim.Quirks
	}
	var variants []variant
	for _, sc := range flysim.Scenarios() {
		variants = append(variants, variant{scenario: sc})
	}
	for _, q := range []flysim.Quirks{
		{WarningChecks: true}, {IntegerDurations: true, TopLevelChecks: true}, {NoChecks: true},
		{HostStatus: "unreachable"}, {NullLogPages: true},
	} {
		variants = append(variants, variant{"db-boot-hang", q}, variant{"healthy", q})
	}
	for _, v := range variants {
		t.Run(fmt.Sprintf("%s %+v", v.scenario, v.quirks), func(t *testing.T) {
			sim, err := flysim.New(flysim.Options{Scenario: v.scenario, Speed: 1, Token: "fo1_agree", Quirks: v.quirks})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim.Handler())
			t.Cleanup(srv.Close)
			// One client each, as three runs of jpops would have: the
			// client paces its reads, and one shared would only wait.
			client := func() *flyapi.HTTPClient {
				c, err := flyapi.New(flyapi.Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: "fo1_agree", MachinesPerSecond: -1, Backoff: func(int) time.Duration { return time.Millisecond }})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			ctx := context.Background()
			clock := sim.Clock().Now
			opts := phases.Options{App: sim.App(), Runbook: runbook.Default(), Fly: client(), Now: clock}
			d, err := phases.Diagnose(ctx, opts)
			if err != nil {
				t.Fatalf("diagnose: %v", err)
			}
			runOpts := opts
			runOpts.Fly = client()
			runOpts.DryRun, runOpts.Force, runOpts.Yes, runOpts.Flyctl, runOpts.Dir, runOpts.NoBootScript = true, true, true, []string{"flyctl"}, deployDir(t), true
			r, err := phases.Run(ctx, runOpts)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			w, err := watch.New(watch.Config{App: sim.App(), Runbook: runbook.Default(), Fly: client(), Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			wv, _, err := w.Once(ctx)
			if err != nil {
				t.Fatalf("watch: %v", err)
			}
			if d.Verdict != r.Verdict || d.Verdict != wv {
				t.Errorf("diagnose %s (%s), run %s, watch %s: they must agree", d.Verdict, d.Reason, r.Verdict, wv)
			}
		})
	}
}
