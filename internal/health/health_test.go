package health

import (
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

var now = time.Date(2026, 5, 11, 3, 0, 0, 0, time.UTC)

func rules() runbook.Checks {
	return runbook.Checks{State: "started", DefaultGrace: runbook.Duration{Duration: 30 * time.Second}}
}

func withCheckConfig(m flyapi.Machine) flyapi.Machine {
	m.Config = &flyapi.MachineConfig{Metadata: map[string]string{"fly_platform_version": "v2", "fly_process_group": "app"},
		Services: []flyapi.Service{{Checks: []flyapi.ServiceCheck{{Type: "http"}}}}}
	return m
}

func started(ago time.Duration, checks ...string) flyapi.Machine {
	m := withCheckConfig(flyapi.Machine{ID: "m", State: "started", Events: []flyapi.MachineEvent{{Type: "start", Timestamp: now.Add(-ago).UnixMilli()}}})
	for _, c := range checks {
		m.Checks = append(m.Checks, flyapi.CheckStatus{Status: c})
	}
	return m
}

func exited(m flyapi.Machine, ago time.Duration, code, restarts int, requested bool) flyapi.Machine {
	m.Events = append(m.Events, flyapi.MachineEvent{Type: "exit", Timestamp: now.Add(-ago).UnixMilli(),
		Request: &flyapi.EventRequest{RestartCount: restarts, ExitEvent: &flyapi.ExitEvent{ExitCode: code, RequestedStop: requested}}})
	return m
}

func state(s string, m flyapi.Machine) flyapi.Machine { m.State = s; return m }

func TestOf(t *testing.T) {
	graced := started(time.Minute, "critical")
	graced.Config.Services[0].Checks[0].GracePeriod = flyapi.Duration(2 * time.Minute)
	topLevel := started(time.Minute, "critical")
	topLevel.Config.Checks = map[string]flyapi.ServiceCheck{"db": {GracePeriod: flyapi.Duration(5 * time.Minute)}}
	noChecks := started(10 * time.Minute)
	noChecks.Config.Services = nil
	standby := state("stopped", started(time.Hour))
	standby.Config.Standbys = []string{"other"}
	unreachable := started(10*time.Minute, "critical")
	unreachable.HostStatus, unreachable.Config, unreachable.IncompleteConfig = "unreachable", nil, unreachable.Config
	tests := []struct {
		name string
		m    flyapi.Machine
		want Class
	}{
		{"failing past default grace", started(10*time.Minute, "critical"), Signature},
		{"failing within default grace", started(10*time.Second, "critical"), Warming},
		{"failing within the service check's own grace", graced, Warming},
		{"failing within a top-level check's grace", topLevel, Warming},
		{"failing since an unknown start", withCheckConfig(flyapi.Machine{State: "started", Checks: []flyapi.CheckStatus{{Status: "critical"}}}), Warming},
		{"a warning check past grace is not passing", started(10*time.Minute, "passing", "warning"), Signature},
		{"a warning check inside grace", started(10*time.Second, "warning"), Warming},
		{"all passing", started(10*time.Minute, "passing"), Healthy},
		{"started with checks configured, none reported yet", started(10 * time.Minute), Warming},
		{"started with no checks configured", noChecks, Healthy},
		{"stopped by autostop", exited(state("stopped", started(time.Hour)), 30*time.Minute, 0, 0, true), Idle},
		{"suspended", state("suspended", started(time.Hour)), Idle},
		{"a standby", standby, Idle},
		{"created, never started", state("created", flyapi.Machine{}), Idle},
		{"stopped after a crash", exited(state("stopped", started(time.Hour)), 30*time.Minute, 1, 9, false), Unhealthy},
		{"failed", state("failed", started(time.Hour)), Unhealthy},
		{"crash-looping, up again", exited(started(5*time.Second, "critical"), 10*time.Second, 1, 4, false), Unhealthy},
		{"crash-looping, restarting", exited(state("restarting", started(time.Minute)), 2*time.Second, 1, 4, false), Unhealthy},
		{"an old crash never hides a wedge", exited(started(40*time.Minute, "critical"), 41*time.Minute, 1, 1, false), Signature},
		{"replacing", state("replacing", started(time.Hour, "critical")), Transient},
		{"starting", state("starting", started(time.Hour)), Transient},
		{"restarting once, cleanly", state("restarting", started(time.Hour)), Transient},
		{"launch_failed", state("launch_failed", started(time.Hour)), Transient},
		{"host unreachable", unreachable, Unknown},
		{"incomplete config host", state("started", func() flyapi.Machine { m := started(time.Hour, "passing"); m.HostStatus = "unknown"; return m }()), Unknown},
		{"a state jpops does not know", state("migrated", started(time.Hour)), Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Of(&tt.m, rules(), now)
			if got.Class != tt.want {
				t.Errorf("class = %s (%s), want %s", got.Class, got.Reason, tt.want)
			}
			if got.Reason == "" {
				t.Error("no reason given")
			}
		})
	}
	if g := Of(&unreachable, rules(), now).Grace; g != 30*time.Second {
		t.Errorf("grace read from incomplete_config = %v", g)
	}
}

func TestInApp(t *testing.T) {
	meta := func(state string, kv ...string) *flyapi.Machine {
		m := &flyapi.Machine{State: state, Config: &flyapi.MachineConfig{Metadata: map[string]string{}}}
		for i := 0; i+1 < len(kv); i += 2 {
			m.Config.Metadata[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name           string
		m              *flyapi.Machine
		inApp, deploys bool
	}{
		{"app machine", meta("started", "fly_platform_version", "v2", "fly_process_group", "app"), true, true},
		{"console machine", meta("started", "fly_platform_version", "v2", "fly_process_group", "fly_app_console"), false, false},
		{"release command", meta("stopped", "fly_platform_version", "v2", "fly_process_group", "fly_app_release_command"), false, false},
		{"old release command", meta("stopped", "process_group", "release_command"), false, false},
		{"machine run by hand", meta("started"), true, false},
		{"destroyed", meta("destroyed", "fly_platform_version", "v2"), false, false},
		{"destroying", meta("destroying", "fly_platform_version", "v2"), false, false},
	}
	for _, tt := range tests {
		if InApp(tt.m) != tt.inApp || Deployed(tt.m) != tt.deploys {
			t.Errorf("%s: InApp %v Deployed %v, want %v %v", tt.name, InApp(tt.m), Deployed(tt.m), tt.inApp, tt.deploys)
		}
	}
}

func TestJudge(t *testing.T) {
	m := func(id string, c Class, release string) Machine {
		return Machine{ID: id, Class: c, Reason: string(c), Release: release}
	}
	hung := bootlog.Finding{Machine: "a", Op: "integrity_check", DB: "/data/x.db", Status: bootlog.Hung, RunningFor: time.Hour}
	running := hung
	running.Status = bootlog.Running
	done := hung
	done.Status = bootlog.Completed
	tests := []struct {
		name     string
		ms       []Machine
		logs     *Logs
		want     verdict.Verdict
		readLogs bool
		again    bool
	}{
		{"no machines", nil, nil, verdict.NotThisIncident, false, false},
		{"signature, logs unread", []Machine{m("a", Signature, "1"), m("b", Healthy, "1")}, nil, "", true, false},
		{"signature, hung op", []Machine{m("a", Signature, "1")}, &Logs{Findings: []bootlog.Finding{hung}}, verdict.HangConfirmed, false, false},
		{"hung op on a healthy machine is history", []Machine{m("a", Healthy, "1")}, &Logs{Findings: []bootlog.Finding{hung}}, verdict.Healthy, false, false},
		{"hung op on an idle machine is history", []Machine{m("a", Idle, "1"), m("b", Healthy, "1")}, &Logs{Findings: []bootlog.Finding{hung}}, verdict.Healthy, false, false},
		{"signature, logs unavailable", []Machine{m("a", Signature, "1")}, &Logs{Unavailable: []string{"a: 503"}}, verdict.Inconclusive, false, false},
		{"signature, op still running", []Machine{m("a", Signature, "1")}, &Logs{Findings: []bootlog.Finding{running}}, verdict.Inconclusive, false, true},
		{"signature, no op in the logs", []Machine{m("a", Signature, "1")}, &Logs{}, verdict.Inconclusive, false, false},
		{"signature, op completed", []Machine{m("a", Signature, "1")}, &Logs{Findings: []bootlog.Finding{done}}, verdict.Inconclusive, false, false},
		{"transient beats unhealthy", []Machine{m("a", Transient, "1"), m("b", Unhealthy, "1")}, nil, verdict.Inconclusive, false, true},
		{"warming beats unhealthy", []Machine{m("a", Warming, "1"), m("b", Unhealthy, "1")}, nil, verdict.Inconclusive, false, true},
		{"warming and idle", []Machine{m("a", Warming, "1"), m("b", Idle, "1")}, nil, verdict.Inconclusive, false, true},
		{"deploy under way", []Machine{m("a", Unhealthy, "7"), m("b", Healthy, "8")}, nil, verdict.Inconclusive, false, true},
		{"unknown host", []Machine{m("a", Unknown, "1"), m("b", Healthy, "1")}, nil, verdict.Inconclusive, false, true},
		{"unhealthy", []Machine{m("a", Unhealthy, "1"), m("b", Healthy, "1")}, nil, verdict.NotThisIncident, false, false},
		{"healthy with idle", []Machine{m("a", Healthy, "1"), m("b", Idle, "1")}, nil, verdict.Healthy, false, false},
		{"all idle", []Machine{m("a", Idle, "1"), m("b", Idle, "1")}, nil, verdict.Healthy, false, false},
		{"healthy, mixed releases", []Machine{m("a", Healthy, "7"), m("b", Healthy, "8")}, nil, verdict.Healthy, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := Judge(tt.ms, tt.logs)
			if j.Verdict != tt.want || j.ReadLogs != tt.readLogs || j.Again != tt.again {
				t.Errorf("Judge = %+v, want verdict %q readLogs %v again %v", j, tt.want, tt.readLogs, tt.again)
			}
			if j.Reason == "" {
				t.Error("no reason")
			}
		})
	}
	j := Judge([]Machine{m("b", Transient, "1"), m("a", Transient, "1")}, nil)
	if !strings.Contains(j.Reason, "machine a") || strings.Index(j.Reason, "machine a") > strings.Index(j.Reason, "machine b") {
		t.Errorf("reason %q does not name the machines in order", j.Reason)
	}
}
