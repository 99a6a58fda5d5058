package flysim

import (
	"strconv"
	"time"
)

// Wire shapes of the Fly APIs (docs/fly-platform.md, "Machines API: the machine" and "Logs API"). They are the
// simulator's own, independent of any client, so a real flyctl or curl can
// talk to it.

type wireMachine struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	State      string       `json:"state"`
	Region     string       `json:"region"`
	InstanceID string       `json:"instance_id"`
	PrivateIP  string       `json:"private_ip"`
	ImageRef   wireImageRef `json:"image_ref"`
	Config     *wireConfig  `json:"config,omitempty"`
	Checks     []wireCheck  `json:"checks"`
	Events     []wireEvent  `json:"events"`
	HostStatus string       `json:"host_status"`
	// IncompleteConfig replaces config when host_status is not ok.
	IncompleteConfig *wireConfig `json:"incomplete_config,omitempty"`
	Cordoned         bool        `json:"cordoned"`
	CreatedAt        string      `json:"created_at"`
	UpdatedAt        string      `json:"updated_at"`
}

type wireImageRef struct {
	Registry   string            `json:"registry"`
	Repository string            `json:"repository"`
	Tag        string            `json:"tag"`
	Digest     string            `json:"digest"`
	Labels     map[string]string `json:"labels"`
}

type wireConfig struct {
	Image    string                  `json:"image"`
	Env      map[string]string       `json:"env"`
	Init     struct{}                `json:"init"`
	Guest    wireGuest               `json:"guest"`
	Metadata map[string]string       `json:"metadata"`
	Mounts   []wireMount             `json:"mounts"`
	Services []wireService           `json:"services"`
	Restart  wireRestart             `json:"restart"`
	Checks   map[string]wireSvcCheck `json:"checks,omitempty"` // top-level checks
	Standbys []string                `json:"standbys,omitempty"`
}

type wireGuest struct {
	CPUKind  string `json:"cpu_kind"`
	CPUs     int    `json:"cpus"`
	MemoryMB int    `json:"memory_mb"`
}

type wireMount struct {
	Volume string `json:"volume"`
	Path   string `json:"path"`
	Name   string `json:"name"`
	SizeGB int    `json:"size_gb"`
}

type wireService struct {
	Protocol     string         `json:"protocol"`
	InternalPort int            `json:"internal_port"`
	Ports        []wirePort     `json:"ports"`
	Checks       []wireSvcCheck `json:"checks"`
}

type wirePort struct {
	Port       int      `json:"port"`
	Handlers   []string `json:"handlers"`
	ForceHTTPS bool     `json:"force_https,omitempty"`
}

type wireSvcCheck struct {
	Type        string `json:"type"`
	Port        int    `json:"port"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Interval    any    `json:"interval"` // "15s", or nanoseconds with Quirks.IntegerDurations
	Timeout     any    `json:"timeout"`
	GracePeriod any    `json:"grace_period"`
}

type wireRestart struct {
	Policy     string `json:"policy"`
	MaxRetries int    `json:"max_retries,omitempty"`
}

type wireCheck struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	Output    string `json:"output"`
	UpdatedAt string `json:"updated_at"`
}

type wireEvent struct {
	Type      string        `json:"type"`
	Status    string        `json:"status"`
	Source    string        `json:"source"`
	Timestamp int64         `json:"timestamp"`
	Request   *wireEventReq `json:"request,omitempty"`
}

type wireEventReq struct {
	ExitEvent    wireExit `json:"exit_event"`
	RestartCount int      `json:"restart_count"`
}

type wireExit struct {
	ExitCode      int    `json:"exit_code"`
	OOMKilled     bool   `json:"oom_killed"`
	RequestedStop bool   `json:"requested_stop"`
	ExitedAt      string `json:"exited_at"`
}

type wireLogs struct {
	Data []wireLogEntry `json:"data"`
	Meta wireLogsMeta   `json:"meta"`
}

type wireLogsMeta struct {
	NextToken string `json:"next_token"` // nanoseconds since the epoch, as a string
}

type wireLogEntry struct {
	ID         string        `json:"id"`
	Type       string        `json:"type"`
	Attributes wireLogAttrib `json:"attributes"`
}

type wireLogAttrib struct {
	Timestamp string      `json:"timestamp"`
	Message   string      `json:"message"`
	Level     string      `json:"level"`
	Instance  string      `json:"instance"`
	Region    string      `json:"region"`
	Meta      wireLogMeta `json:"meta"`
}

type wireLogMeta struct {
	Instance string `json:"instance"`
	Region   string `json:"region"`
	Event    struct {
		Provider string `json:"provider"`
	} `json:"event"`
	HTTP struct {
		Request struct {
			ID      string `json:"id"`
			Method  string `json:"method"`
			Version string `json:"version"`
		} `json:"request"`
		Response struct {
			StatusCode int `json:"status_code"`
		} `json:"response"`
	} `json:"http"`
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	URL struct {
		Full string `json:"full"`
	} `json:"url"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// toWire renders a machine at t in the Machines API shape, with the
// platform quirks q.
func (m *machine) toWire(app string, t time.Time, q Quirks) wireMachine {
	s := m.at(t)
	b := s.boot
	reg, repo, tag := b.image.parts(app)
	group := "app"
	switch m.kind {
	case kindConsole:
		group = "fly_app_console"
	case kindRelease:
		group = "fly_app_release_command"
	}
	cfg := &wireConfig{
		Image: b.image.ref(app),
		Env:   map[string]string{"PRIMARY_REGION": m.region, "AUTONOMATH_DB_PATH": dbPath},
		Guest: wireGuest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096},
		Metadata: map[string]string{
			"fly_platform_version": "v2", "fly_process_group": group,
			"fly_release_id": "rel_" + b.instanceID[:10], "fly_flyctl_version": "0.3.209",
			"fly_release_version": strconv.Itoa(41 + len(m.bootsUpTo(t))),
		},
		Mounts:  []wireMount{{Volume: "vol_" + m.id[:10] + "v", Path: "/data", Name: "autonomath_data", SizeGB: 20}},
		Restart: wireRestart{Policy: "on-failure", MaxRetries: 10},
	}
	check := wireSvcCheck{Type: "http", Port: 8080, Method: "GET", Path: checkPath, Interval: "15s", Timeout: "5s", GracePeriod: "60s"}
	if q.IntegerDurations {
		check.Interval, check.Timeout, check.GracePeriod = int64(checkEvery), int64(5*time.Second), int64(gracePeriod)
	}
	if m.kind != kindConsole && m.kind != kindRelease {
		svc := wireService{Protocol: "tcp", InternalPort: 8080,
			Ports: []wirePort{{Port: 80, Handlers: []string{"http"}, ForceHTTPS: true}, {Port: 443, Handlers: []string{"tls", "http"}}}}
		switch {
		case q.NoChecks:
		case q.TopLevelChecks:
			cfg.Checks = map[string]wireSvcCheck{"healthz": check}
		default:
			svc.Checks = []wireSvcCheck{check}
		}
		cfg.Services = []wireService{svc}
	}
	if m.kind == kindStandby {
		cfg.Standbys = []string{m.standbyFor}
	}
	if m.kind == kindConsole || m.kind == kindRelease {
		cfg.Mounts = nil
	}
	w := wireMachine{
		ID: m.id, Name: m.name, State: s.state, Region: m.region,
		InstanceID: b.instanceID, PrivateIP: m.privateIP,
		ImageRef:   wireImageRef{Registry: reg, Repository: repo, Tag: tag, Digest: b.image.digest, Labels: map[string]string{}},
		Config:     cfg,
		Checks:     []wireCheck{},
		HostStatus: "ok",
		CreatedAt:  rfc3339(m.created),
		UpdatedAt:  rfc3339(s.updatedAt),
	}
	if s.checkStatus != "" && !q.NoChecks {
		status := s.checkStatus
		if status == "critical" && q.WarningChecks {
			status = "warning"
		}
		name := checkName
		if q.TopLevelChecks {
			name = "healthz"
		}
		w.Checks = []wireCheck{{Name: name, Status: status, Output: s.checkOutput,
			UpdatedAt: s.checkAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")}}
	}
	if q.HostStatus != "" && q.HostStatus != "ok" && m.idx == 0 {
		// The host cannot be reached: the platform sends what it still
		// knows of the config as incomplete_config, and no checks.
		w.HostStatus, w.Config, w.IncompleteConfig, w.Checks = q.HostStatus, nil, cfg, []wireCheck{}
	}
	if b.behavior == bootCrash && b.maxRetries == 0 {
		cfg.Restart = wireRestart{Policy: "always"}
	}
	w.Events = []wireEvent{}
	for _, e := range m.events(t) {
		we := wireEvent{Type: e.typ, Status: e.status, Source: e.source, Timestamp: e.at.UnixMilli()}
		if e.exit {
			we.Request = &wireEventReq{RestartCount: e.restartCount,
				ExitEvent: wireExit{ExitCode: e.exitCode, RequestedStop: e.exitCode == 0, ExitedAt: e.at.UTC().Format(time.RFC3339Nano)}}
		}
		w.Events = append(w.Events, we)
	}
	return w
}

// bootsUpTo returns the boots that have begun by t.
func (m *machine) bootsUpTo(t time.Time) []boot {
	n := 0
	for _, b := range m.boots {
		if !b.at.After(t) {
			n++
		}
	}
	return m.boots[:n]
}

func (e logEntry) toWire() wireLogEntry {
	w := wireLogEntry{ID: strconv.FormatInt(e.ts.UnixNano(), 36) + e.instance[:4], Type: "logs"}
	a := &w.Attributes
	a.Timestamp = e.ts.UTC().Format(time.RFC3339Nano)
	a.Message, a.Level, a.Instance, a.Region = e.message, e.level, e.instance, e.region
	a.Meta.Instance, a.Meta.Region = e.instance, e.region
	a.Meta.Event.Provider = e.provider
	return w
}
