// Package health decides what the Machines API's view of an app means for
// the boot-hang incident: one function classes a machine, one table ranks a
// fleet (and, once read, its boot logs) into a verdict. diagnose, run and
// watch all judge through it, so they never disagree about the same fleet.
// The platform facts behind each rule are in docs/fly-platform.md.
package health

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// Class is how one machine stands against the incident.
type Class string

const (
	// Healthy: started, and every check it has is passing (or it has none).
	Healthy Class = "healthy"
	// Signature: in the runbook's state with a check not passing for longer
	// than its grace period since its last start: the boot-hang signature.
	Signature Class = "signature"
	// Warming: failing checks (or none reported yet) inside the grace
	// period, or since an unknown start.
	Warming Class = "warming"
	// Idle: stopped or suspended on purpose (autostop, a standby, a clean
	// stop) or created and never started; it starts on demand.
	Idle Class = "idle"
	// Transient: changing state (replacing, starting, restarting, …);
	// wait and look again.
	Transient Class = "transient"
	// Unknown: the platform cannot say (host_status not ok, an unknown state).
	Unknown Class = "unknown"
	// Unhealthy: failed, crash-looping, or stopped after a crash.
	Unhealthy Class = "unhealthy"
)

// Machine is one machine's judged health.
type Machine struct {
	ID        string
	State     string
	Class     Class
	Reason    string // why, in a few words, for the operator
	LastStart time.Time
	Grace     time.Duration
	Release   string // config.metadata.fly_release_version
}

// Metadata keys and process groups (docs/fly-platform.md, "Machines that are
// not the app").
const (
	metaPlatformVersion = "fly_platform_version"
	metaProcessGroup    = "fly_process_group"
	metaReleaseVersion  = "fly_release_version"
	groupConsole        = "fly_app_console"
	groupReleaseCommand = "fly_app_release_command"
)

// InApp reports whether the machine is part of the app as a deploy sees it:
// not destroyed, not a console machine and not a release-command machine
// (what fly-go's ListActive leaves in).
func InApp(m *flyapi.Machine) bool {
	if !m.Active() {
		return false
	}
	if m.Metadata(metaProcessGroup) == groupReleaseCommand || m.Metadata("process_group") == "release_command" {
		return false
	}
	return !(m.Metadata(metaPlatformVersion) == "v2" && m.Metadata(metaProcessGroup) == groupConsole)
}

// Deployed reports whether `flyctl deploy` updates the machine: an app
// machine that is a Fly Launch (platform v2) machine (fly-go's
// ListFlyAppsMachines).
func Deployed(m *flyapi.Machine) bool {
	return InApp(m) && m.Metadata(metaPlatformVersion) == "v2"
}

// transientStates are the Machines API's transitional states.
var transientStates = []string{"creating", "starting", "stopping", "restarting", "suspending", "updating", "replacing", "launch_failed", "destroying"}

// ConfiguredChecks counts the checks the machine's config declares, service
// and top-level: flyctl waits for these, not for the reported ones, which a
// freshly started machine does not have yet.
func ConfiguredChecks(m *flyapi.Machine) int {
	c := m.Conf()
	if c == nil {
		return 0
	}
	n := len(c.Checks)
	for _, s := range c.Services {
		n += len(s.Checks)
	}
	return n
}

// Of classes one machine at now under the runbook's checks rule.
func Of(m *flyapi.Machine, rules runbook.Checks, now time.Time) Machine {
	h := Machine{ID: m.ID, State: m.State, LastStart: m.LastStart(), Grace: m.GracePeriod(rules.DefaultGrace.Duration), Release: m.Metadata(metaReleaseVersion)}
	symptom := rules.State
	if symptom == "" {
		symptom = "started"
	}
	crash, crashing := lastCrash(m)
	switch {
	case m.HostStatus != "" && m.HostStatus != "ok":
		h.Class, h.Reason = Unknown, fmt.Sprintf("host_status %s: the platform cannot report this machine's state", m.HostStatus)
	case m.State == "failed":
		h.Class, h.Reason = Unhealthy, "failed"
	case crashing && (m.State == "restarting" || m.State == "starting"):
		h.Class, h.Reason = Unhealthy, "crash-looping: "+crash
	case slices.Contains(transientStates, m.State):
		h.Class, h.Reason = Transient, m.State+": a deploy, restart or platform move is under way"
	case m.State == "stopped" || m.State == "suspended":
		if crash != "" {
			h.Class, h.Reason = Unhealthy, m.State+" after a crash: "+crash
		} else {
			h.Class, h.Reason = Idle, m.State+idleWhy(m)
		}
	case m.State == "created":
		h.Class, h.Reason = Idle, "created, never started"
	case m.State == symptom:
		h.Class, h.Reason = checks(m, h, now)
		// Just restarted after crashes and not passing yet: a crash loop. A
		// machine past its grace is judged by its checks alone, so an old
		// crash never hides a wedge.
		if h.Class == Warming && crashing {
			h.Class, h.Reason = Unhealthy, "crash-looping: "+crash
		}
	default:
		h.Class, h.Reason = Unknown, "state "+m.State+" is not one jpops knows"
	}
	return h
}

func idleWhy(m *flyapi.Machine) string {
	if c := m.Conf(); c != nil && len(c.Standbys) > 0 {
		return ": a standby, stopped until the machine it stands by for fails"
	}
	return ": stopped on purpose (autostop or a requested stop); it starts on demand"
}

// checks classes a machine in the symptom state by its checks.
func checks(m *flyapi.Machine, h Machine, now time.Time) (Class, string) {
	passing, total := m.ChecksPassing()
	if total == 0 {
		if ConfiguredChecks(m) == 0 {
			return Healthy, m.State + ", no health checks configured"
		}
		if m.State != "started" {
			return Warming, "no check result yet"
		}
		return Warming, "started, no check result yet"
	}
	if passing == total {
		if m.State != "started" {
			return Warming, fmt.Sprintf("%s with checks %d/%d passing", m.State, passing, total)
		}
		return Healthy, fmt.Sprintf("started, checks %d/%d passing", passing, total)
	}
	line := fmt.Sprintf("%s, checks %d/%d passing", m.State, passing, total)
	if h.LastStart.IsZero() {
		return Warming, line + " since an unknown start"
	}
	if since := now.Sub(h.LastStart); since > h.Grace {
		return Signature, fmt.Sprintf("%s for %s, past its %s grace period", line, since.Round(time.Second), h.Grace)
	}
	return Warming, fmt.Sprintf("%s, inside its %s grace period", line, h.Grace)
}

// lastCrash describes the machine's newest exit when it was a crash (a
// non-zero exit that nobody asked for); crashing is true when the platform
// has already restarted it after crashes (restart_count > 0).
func lastCrash(m *flyapi.Machine) (desc string, crashing bool) {
	var newest *flyapi.MachineEvent
	for i := range m.Events {
		e := &m.Events[i]
		if e.Type == "exit" && (newest == nil || e.Timestamp > newest.Timestamp) {
			newest = e
		}
	}
	if newest == nil || newest.Request == nil || newest.Request.ExitEvent == nil {
		return "", false
	}
	x := newest.Request.ExitEvent
	if x.RequestedStop || (x.ExitCode == 0 && !x.OOMKilled) {
		return "", false
	}
	desc = fmt.Sprintf("exited with code %d", x.ExitCode)
	if x.OOMKilled {
		desc = "killed out of memory"
	}
	if n := newest.Request.RestartCount; n > 0 {
		desc += fmt.Sprintf(" after %d restart(s)", n)
	}
	return desc, newest.Request.RestartCount > 0
}

// Logs is what phase 2 (or the watchdog's log follower) learnt.
type Logs struct {
	Findings    []bootlog.Finding
	Unavailable []string // "machine: why" for machines whose logs could not be read
}

// Judgement is a fleet's verdict and why. ReadLogs is set, with no
// Verdict, when machines carry the signature and only their boot logs can
// decide. Again means "wait and look again": nothing is wrong for sure yet.
type Judgement struct {
	Verdict  verdict.Verdict
	Reason   string
	ReadLogs bool
	Again    bool
}

// Judge ranks a fleet. logs is nil before the boot logs were read. Rows,
// first match wins:
//
//	no machine                                → NOT_THIS_INCIDENT
//	a hung boot op on a signature/warming one → HANG_CONFIRMED
//	signature machines, logs not read yet     → read the logs
//	signature machines, logs unreadable       → INCONCLUSIVE
//	signature machines, op not yet hung       → INCONCLUSIVE (again)
//	signature machines, no hung op            → INCONCLUSIVE
//	transient machines                        → INCONCLUSIVE (again)
//	failing machines while releases differ    → INCONCLUSIVE (again: a deploy under way)
//	warming machines                          → INCONCLUSIVE (again)
//	unknown machines                          → INCONCLUSIVE (again)
//	unhealthy machines                        → NOT_THIS_INCIDENT
//	otherwise                                 → HEALTHY
//
// Anything that may still turn into the signature ranks above
// NOT_THIS_INCIDENT: an operator must not be told "not this" too early.
func Judge(ms []Machine, logs *Logs) Judgement {
	if len(ms) == 0 {
		return Judgement{Verdict: verdict.NotThisIncident, Reason: "no active machines"}
	}
	by := map[Class][]Machine{}
	classOf := map[string]Class{}
	for _, m := range ms {
		by[m.Class] = append(by[m.Class], m)
		classOf[m.ID] = m.Class
	}
	if logs != nil {
		var hung []string
		running := false
		for _, f := range logs.Findings {
			if c := classOf[f.Machine]; c != Signature && c != Warming {
				continue // a machine serving (or gone, or idle) is not hung now
			}
			switch f.Status {
			case bootlog.Hung:
				hung = append(hung, fmt.Sprintf("%s on %s has run %s with no completion line (machine %s)", f.Op, f.DB, f.RunningFor.Round(time.Second), f.Machine))
			case bootlog.Running:
				running = true
			}
		}
		if len(hung) > 0 {
			return Judgement{Verdict: verdict.HangConfirmed, Reason: strings.Join(hung, "; ")}
		}
		if len(by[Signature]) > 0 {
			switch {
			case len(logs.Unavailable) > 0:
				return Judgement{Verdict: verdict.Inconclusive, Reason: "logs unavailable: " + strings.Join(logs.Unavailable, "; ")}
			case running:
				return Judgement{Verdict: verdict.Inconclusive, Again: true, Reason: "a full-scan boot op is running but has not yet passed its hang_after"}
			case !anyFor(logs.Findings, by[Signature]):
				return Judgement{Verdict: verdict.Inconclusive, Reason: "machines carry the checks signature but their boot logs show no full-scan op"}
			default:
				return Judgement{Verdict: verdict.Inconclusive, Reason: "every full-scan boot op completed, yet checks still fail: look beyond the boot ops"}
			}
		}
	} else if sig := by[Signature]; len(sig) > 0 {
		return Judgement{ReadLogs: true, Reason: fmt.Sprintf("%d of %d machines started but failing checks past their grace period", len(sig), len(ms))}
	}
	failing := len(by[Warming]) + len(by[Unhealthy]) + len(by[Unknown])
	switch {
	case len(by[Transient]) > 0:
		return Judgement{Verdict: verdict.Inconclusive, Again: true, Reason: listed(by[Transient]) + ": wait and look again"}
	case failing > 0 && len(releases(ms)) > 1:
		return Judgement{Verdict: verdict.Inconclusive, Again: true, Reason: fmt.Sprintf("machines run different releases (%s): a deploy is under way or stopped part-way; wait and look again", strings.Join(releases(ms), ", "))}
	case len(by[Warming]) > 0:
		return Judgement{Verdict: verdict.Inconclusive, Again: true, Reason: listed(by[Warming]) + ": wait and look again"}
	case len(by[Unknown]) > 0:
		return Judgement{Verdict: verdict.Inconclusive, Again: true, Reason: listed(by[Unknown]) + ": look again, or at the Fly status page"}
	case len(by[Unhealthy]) > 0:
		return Judgement{Verdict: verdict.NotThisIncident, Reason: listed(by[Unhealthy]) + ": unhealthy without the started-but-failing-checks signature"}
	case len(by[Healthy]) == 0:
		return Judgement{Verdict: verdict.Healthy, Reason: fmt.Sprintf("no machine is running: all %d are stopped, suspended or standbys, and start on demand", len(ms))}
	}
	reason := fmt.Sprintf("all %d started machines pass every check they have", len(by[Healthy]))
	if n := len(by[Idle]); n > 0 {
		reason += fmt.Sprintf("; %d stopped, suspended or standby machine(s) left alone", n)
	}
	return Judgement{Verdict: verdict.Healthy, Reason: reason}
}

func anyFor(findings []bootlog.Finding, ms []Machine) bool {
	for _, f := range findings {
		for _, m := range ms {
			if f.Machine == m.ID {
				return true
			}
		}
	}
	return false
}

// listed names up to three machines and why: "machine a is replacing: …".
func listed(ms []Machine) string {
	ms = slices.Clone(ms)
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	parts := make([]string, 0, 3)
	for i, m := range ms {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ms)-3))
			break
		}
		parts = append(parts, "machine "+m.ID+" "+m.Reason)
	}
	return strings.Join(parts, "; ")
}

// releases lists the distinct release versions the machines carry.
func releases(ms []Machine) []string {
	var out []string
	for _, m := range ms {
		if m.Release != "" && !slices.Contains(out, m.Release) {
			out = append(out, m.Release)
		}
	}
	sort.Strings(out)
	return out
}
