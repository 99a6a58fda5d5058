package flysim

import (
	"fmt"
	"time"
)

// Deploy outcomes: what a deploy started in a scenario does.
const (
	OutcomeFixed         = "fixed"          // the guarded image: machines come up healthy
	OutcomeUnguarded     = "unguarded"      // the new image still runs the full scan: machines wedge, flyctl exits 0
	OutcomeBuildFailed   = "build-failed"   // the remote builder fails: nothing changes, flyctl exits 1
	OutcomeHealthTimeout = "health-timeout" // the first new machine never passes checks: flyctl exits 1
)

type scenario struct {
	name, desc string
	boot       behavior
	retries    []int  // crash loop retries per machine (0 = forever)
	outcome    string // what a deploy does
	flaky      bool   // the APIs misbehave in bursts
	autoscaled bool   // beside the two serving machines: stopped, suspended, standby, console and release-command ones
	interrupt  bool   // the drill stops jpops mid-rollout, to be resumed
	// A replay starts at a fixed moment of its own, with the machines
	// booting then rather than long before, and builds as long as the
	// incident's build took.
	start    time.Time
	bootAgo  time.Duration // how long before start the first machine booted; 0: defaultBootAgo
	buildFor time.Duration // the remote build; 0: defaultBuildFor
}

var scenarios = []scenario{
	{name: "db-boot-hang", desc: "the 2026-05-11 outage: both nrt machines started but wedged in integrity_check on the 9.7 GB DB, CHECKS 0/1", boot: bootWedge, outcome: OutcomeFixed},
	{name: "healthy", desc: "nothing wrong: both machines started, checks passing, healthz 200", boot: bootHealthy, outcome: OutcomeFixed},
	{name: "other-failure", desc: "a crash loop that is not this incident: the app exits 1 (cannot connect to redis), no full-scan op", boot: bootCrash, retries: []int{10, 0}, outcome: OutcomeFixed},
	{name: "deploy-fails", desc: "db-boot-hang, and the deploy fails on the remote builder: machines stay wedged on the old image", boot: bootWedge, outcome: OutcomeBuildFailed},
	{name: "fix-missing", desc: "db-boot-hang, but the deployed image still runs the unguarded full scan: new image, still wedged, smoke fails", boot: bootWedge, outcome: OutcomeUnguarded},
	{name: "autoscaled", desc: "db-boot-hang on an autoscaled app: two started machines wedged, beside a stopped (autostop) and a suspended one, a standby, a console machine and a release-command machine", boot: bootWedge, outcome: OutcomeFixed, autoscaled: true},
	{name: ReplayScenario, desc: "the 2026-05-11 outage from its first minute: 85e273f4 cold-boots at 11:40 into integrity_check, a second nrt machine follows, the proxy answers PR04, the watchdog pages, the remote build takes 15 minutes", boot: bootWedge, outcome: OutcomeFixed, start: ReplayStart, bootAgo: 3 * time.Second, buildFor: 15 * time.Minute},
	{name: "flaky-api", desc: "db-boot-hang behind flaky APIs: 502/503 every 3rd Machines API request, a 429, slow answers", boot: bootWedge, outcome: OutcomeFixed, flaky: true},
	{name: "interrupted", desc: "db-boot-hang, and jpops is stopped once the rollout has replaced one machine: finish the incident with jpops resume", boot: bootWedge, outcome: OutcomeFixed, interrupt: true},
}

// InterruptsMidRollout reports whether a drill of the scenario stops jpops
// once the rollout has replaced a machine, to rehearse jpops resume.
func InterruptsMidRollout(name string) bool {
	sc, _ := lookupScenario(name)
	return sc.interrupt
}

// Scenarios returns the names of the built-in scenarios.
func Scenarios() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}

// Describe returns a one-line description of a scenario, or "" if unknown.
func Describe(name string) string {
	if sc, ok := lookupScenario(name); ok {
		return sc.desc
	}
	return ""
}

func lookupScenario(name string) (scenario, bool) {
	for _, sc := range scenarios {
		if sc.name == name {
			return sc, true
		}
	}
	return scenario{}, false
}

// ReplayScenario plays the 2026-05-11 outage from the first wedged boot,
// with the post-mortem's own times, so a drill of it can be set beside the
// post-mortem's timeline row by row.
const ReplayScenario = "replay-2026-05-11"

// ReplayStart is when the replay starts: 11:40 UTC, when machine 85e273f4
// cold-booted into integrity_check.
var ReplayStart = time.Date(2026, 5, 11, 11, 40, 0, 0, time.UTC)

// DefaultStart is the simulated moment a scenario starts at: 12:18 UTC on
// 2026-05-11, when the first 5xx was seen, 38 minutes after the wedged boots.
var DefaultStart = time.Date(2026, 5, 11, 12, 18, 0, 0, time.UTC)

// defaultBootAgo is how long before the scenario start the machines booted.
const defaultBootAgo = 38 * time.Minute

// Machine ids: the first is the post-mortem's 85e273f4.
var machineIDs = []string{"85e273f4b1c638", "d8d2e1a7c40958"}

// build makes the scenario's app at start.
func (sc scenario) build(app string, start time.Time, g *ids) []*machine {
	bootAgo := sc.bootAgo
	if bootAgo == 0 {
		bootAgo = defaultBootAgo
	}
	old := image{tag: "deployment-" + g.ulid(start.Add(-19*time.Hour)), digest: g.digest(), guarded: sc.boot == bootHealthy}
	names := []string{"wandering-sun-4821", "quiet-river-1093"}
	ms := make([]*machine, len(machineIDs))
	for i, id := range machineIDs {
		booted := start.Add(-bootAgo + time.Duration(i)*38*time.Second + 3*time.Second)
		b := boot{at: booted, image: old, instanceID: g.ulid(booted), behavior: sc.boot}
		if sc.boot == bootCrash {
			b.maxRetries = sc.retries[i]
		}
		ms[i] = &machine{
			id: id, name: names[i], region: "nrt", idx: i,
			privateIP: fmt.Sprintf("fdaa:9:4b1c:a7b:1c7:%s:%s:2", id[:4], id[4:8]),
			created:   start.Add(-20 * 24 * time.Hour).Add(time.Duration(i) * time.Minute),
			boots:     []boot{b},
		}
	}
	if sc.autoscaled {
		first := ms[0].id
		for i, k := range []string{kindStopped, kindSuspended, kindStandby, kindConsole, kindRelease} {
			idx := len(ms)
			id := fmt.Sprintf("%s%02d%s", "3d8e", idx, g.hex(8))
			booted := start.Add(-3*time.Hour + time.Duration(i)*time.Minute)
			ms = append(ms, &machine{
				id: id, name: k + "-machine", region: "nrt", idx: idx, kind: k, standbyFor: first,
				privateIP: fmt.Sprintf("fdaa:9:4b1c:a7b:1c7:%s:%s:2", id[:4], id[4:8]),
				created:   start.Add(-20 * 24 * time.Hour),
				boots:     []boot{{at: booted, image: old, instanceID: g.ulid(booted), behavior: bootHealthy}},
			})
		}
	}
	return ms
}
