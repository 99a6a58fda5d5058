package flysim

import (
	"fmt"
	"strings"
	"time"
)

// The simulated app's fixed facts, from the 2026-05-11 post-mortem.
const (
	dbPath       = "/data/autonomath.db"
	dbSize       = 9722236928
	dbThreshold  = 5000000000
	registryHost = "registry.fly.io"
	checkName    = "servicecheck-00-http-8080"
	checkPath    = "/v1/healthz"
	gracePeriod  = 60 * time.Second // the post-mortem's health-check grace
	checkEvery   = 15 * time.Second
	healthEvery  = 30 * time.Second // "Health check ... has failed" cadence
	proxyEvery   = 60 * time.Second // PR04 line cadence while a machine is wedged
	crashEvery   = 20 * time.Second // one crash-loop attempt
	crashRunsFor = 5 * time.Second
	stopFor      = 2 * time.Second // replacing → starting
	startFor     = 2 * time.Second // starting → started
	healthyAfter = 10 * time.Second
	proxyError   = "[PR04] could not find a good candidate within 40 attempts at load balancing"
	refusedOut   = "connect: connection refused"
)

// behavior is what a boot does once its entrypoint runs.
type behavior int

const (
	bootWedge   behavior = iota // runs the unguarded integrity_check and never finishes
	bootHealthy                 // size-based skip, schema_guard, uvicorn binds
	bootCrash                   // exits 1 and is restarted by the platform
)

// image is one build of the app.
type image struct {
	tag     string // deployment-<ULID>
	digest  string // sha256:<hex>
	guarded bool   // its entrypoint size-gates integrity_check
	// prebuilt is the ref of an image deployed as built elsewhere
	// (`flyctl deploy --image`, or [build] image in fly.toml); "" for a build.
	prebuilt string
}

func (im image) ref(app string) string {
	if im.prebuilt != "" {
		return im.prebuilt
	}
	return registryHost + "/" + app + ":" + im.tag
}

// parts splits the image's ref into image_ref's registry, repository and tag.
func (im image) parts(app string) (registry, repository, tag string) {
	if im.prebuilt == "" {
		return registryHost, app, im.tag
	}
	s := im.prebuilt
	if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[i:], "/") {
		s, tag = s[:i], s[i+1:]
	}
	if host, rest, ok := strings.Cut(s, "/"); ok && strings.ContainsAny(host, ".:") {
		return host, rest, tag
	}
	return "docker.io", s, tag
}

// boot is one life of a machine, from its (re)start until the next boot.
type boot struct {
	at         time.Time // the moment this boot begins (replacing, for a replacement)
	replace    bool      // a deploy replaced the previous boot: stop/start first
	quiet      bool      // a config update of a machine that stays stopped: no boot, no lines
	image      image
	instanceID string
	behavior   behavior
	maxRetries int // crash loop: attempts before the machine stays stopped; 0 = forever
}

// started is when the machine reaches state started.
func (b boot) started() time.Time {
	if b.replace {
		return b.at.Add(stopFor + startFor)
	}
	return b.at
}

// machine is a simulated Fly machine: fixed identity plus its boots, oldest
// first. Future boots (scheduled by a deploy) exist already and take effect
// when the clock reaches them.
type machine struct {
	id, name, region, privateIP string
	idx                         int // stable index, spreads log timestamps apart
	created                     time.Time
	boots                       []boot
	kind                        string // "" for a serving app machine, else one of the kinds below
	standbyFor                  string // kindStandby: the machine it stands by for
}

// Machine kinds beside the serving app machines (docs/fly-platform.md,
// "Machines that are not the app" and "Rolling deploy").
const (
	kindStopped   = "stopped"   // stopped by autostop: a clean, requested stop
	kindSuspended = "suspended" // suspended by autostop
	kindStandby   = "standby"   // stopped until the machine it stands by for fails
	kindConsole   = "console"   // a `fly console` machine: fly_process_group fly_app_console
	kindRelease   = "release"   // a release-command machine that ran and stopped
)

// idle reports whether the machine rests stopped or suspended: a deploy
// updates its image but does not start it.
func (m *machine) idle() bool {
	return m.kind == kindStopped || m.kind == kindSuspended || m.kind == kindStandby
}

// stoppedAt is when an idle or release machine stopped, after its first boot.
func (m *machine) stoppedAt() time.Time { return m.boots[0].started().Add(5 * time.Minute) }

// current returns the boot in effect at t and the moment it ends (zero if none).
func (m *machine) current(t time.Time) (b boot, end time.Time) {
	i := 0
	for j, bt := range m.boots {
		if !bt.at.After(t) {
			i = j
		}
	}
	if i+1 < len(m.boots) {
		end = m.boots[i+1].at
	}
	return m.boots[i], end
}

// snapshot is what a machine looks like at one moment.
type snapshot struct {
	state       string
	checkStatus string // passing | critical
	checkOutput string
	checkAt     time.Time
	updatedAt   time.Time
	boot        boot
}

func (s snapshot) healthy() bool { return s.state == "started" && s.checkStatus == "passing" }

// at computes the machine's state at t.
func (m *machine) at(t time.Time) snapshot {
	b, _ := m.current(t)
	switch m.kind {
	case kindStopped, kindStandby, kindRelease:
		return snapshot{boot: b, state: "stopped", updatedAt: maxTime(m.stoppedAt(), b.at)}
	case kindSuspended:
		return snapshot{boot: b, state: "suspended", updatedAt: maxTime(m.stoppedAt(), b.at)}
	case kindConsole:
		return snapshot{boot: b, state: "started", updatedAt: b.started()}
	}
	s := snapshot{boot: b, state: "started", checkStatus: "critical", checkOutput: refusedOut, updatedAt: b.started()}
	st := b.started()
	switch {
	case t.Before(b.at.Add(stopFor)):
		s.state, s.updatedAt = "replacing", b.at
	case t.Before(st):
		s.state, s.updatedAt = "starting", b.at.Add(stopFor)
	}
	s.checkAt = b.at
	if !t.Before(st) {
		s.checkAt = st.Add(t.Sub(st).Truncate(checkEvery))
	}
	switch b.behavior {
	case bootHealthy:
		if ok := st.Add(healthyAfter); !t.Before(ok) {
			s.checkStatus = "passing"
			s.checkOutput = fmt.Sprintf("HTTP GET http://%s:8080%s: 200 OK Output: \"{\\\"status\\\":\\\"ok\\\"}\"", "[fdaa::2]", checkPath)
			s.checkAt = ok.Add(t.Sub(ok).Truncate(checkEvery))
		}
	case bootCrash:
		if t.Before(st) {
			break
		}
		k := int(t.Sub(st) / crashEvery)
		if b.maxRetries > 0 && k >= b.maxRetries {
			s.state = "stopped"
			s.updatedAt = crashAttempt(b, b.maxRetries-1).Add(crashRunsFor)
			break
		}
		a := crashAttempt(b, k)
		if t.Sub(a) < crashRunsFor {
			s.state, s.updatedAt = "started", a
		} else {
			s.state, s.updatedAt = "restarting", a.Add(crashRunsFor)
		}
	}
	return s
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func crashAttempt(b boot, k int) time.Time { return b.started().Add(time.Duration(k) * crashEvery) }

// event is one entry of a machine's event list.
type event struct {
	typ, status, source string
	at                  time.Time
	exitCode            int
	restartCount        int
	exit                bool
}

// events returns the machine's events up to t, newest first, at most 10 (the
// list Fly returns is short too).
func (m *machine) events(t time.Time) []event {
	var evs []event
	add := func(e event) {
		if !e.at.After(t) {
			evs = append(evs, e)
		}
	}
	add(event{typ: "launch", status: "created", source: "user", at: m.created})
	if m.kind != "" && m.kind != kindConsole {
		add(event{typ: "start", status: "started", source: "flyd", at: m.boots[0].started()})
		add(event{typ: "exit", status: "stopped", source: "flyd", at: m.stoppedAt(), exit: true, exitCode: 0})
		for _, b := range m.boots[1:] {
			add(event{typ: "update", status: "stopped", source: "user", at: b.at})
		}
		sortEventsNewestFirst(evs)
		return evs
	}
	for i, b := range m.boots {
		if b.at.After(t) {
			break
		}
		if i > 0 {
			add(event{typ: "exit", status: "stopped", source: "flyd", at: b.at.Add(time.Second), exit: true, exitCode: 0})
			add(event{typ: "update", status: "replacing", source: "user", at: b.at})
		}
		add(event{typ: "start", status: "started", source: "flyd", at: b.started()})
		if b.behavior == bootCrash {
			for k := 0; b.maxRetries == 0 || k < b.maxRetries; k++ {
				a := crashAttempt(b, k)
				if a.After(t) {
					break
				}
				if k > 0 {
					add(event{typ: "restart", status: "starting", source: "flyd", at: a.Add(-time.Second)})
					add(event{typ: "start", status: "started", source: "flyd", at: a})
				}
				add(event{typ: "exit", status: "stopped", source: "flyd", at: a.Add(crashRunsFor), exit: true, exitCode: 1, restartCount: k})
			}
		}
	}
	// Newest first.
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	sortEventsNewestFirst(evs)
	if len(evs) > 10 {
		evs = evs[:10]
	}
	return evs
}

func sortEventsNewestFirst(evs []event) {
	// Insertion sort: the list is nearly sorted and short.
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].at.After(evs[j-1].at); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}
