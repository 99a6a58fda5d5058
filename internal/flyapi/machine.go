// Package flyapi is jpops' small client for the Fly Machines API and the Fly
// logs API: the wire types jpops needs, tokens, retries and typed errors.
// Shapes follow docs/fly-platform.md ("Machines API: the machine", "Logs API"); fields
// jpops does not use are ignored on decode. A machine's env is never kept: it
// can hold secrets. The client reports what the API said; deciding what a
// machine's state means for the incident is the health package's job.
package flyapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Machine is one Fly machine, as GET /v1/apps/{app}/machines[/{id}] returns it.
type Machine struct {
	ID         string         `json:"id"`
	Name       string         `json:"name,omitempty"`
	State      string         `json:"state"`
	Region     string         `json:"region,omitempty"`
	InstanceID string         `json:"instance_id,omitempty"`
	ImageRef   ImageRef       `json:"image_ref"`
	Config     *MachineConfig `json:"config,omitempty"`
	Checks     []CheckStatus  `json:"checks,omitempty"`
	Events     []MachineEvent `json:"events,omitempty"`      // newest first on the wire
	HostStatus string         `json:"host_status,omitempty"` // ok | unknown | unreachable
	// IncompleteConfig stands in for config when host_status is not ok: the
	// platform rebuilt it from other sources (docs/fly-platform.md).
	IncompleteConfig *MachineConfig `json:"incomplete_config,omitempty"`
	CreatedAt        string         `json:"created_at,omitempty"` // RFC 3339, kept raw as fly-go does
	UpdatedAt        string         `json:"updated_at,omitempty"`
}

// ImageRef is the image a machine runs.
type ImageRef struct {
	Registry   string            `json:"registry,omitempty"`
	Repository string            `json:"repository,omitempty"`
	Tag        string            `json:"tag,omitempty"`
	Digest     string            `json:"digest,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// MachineConfig keeps the parts of a machine's config jpops reads. Env is
// deliberately absent so secrets never enter jpops' memory or output.
type MachineConfig struct {
	Image    string            `json:"image,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Services []Service         `json:"services,omitempty"`
	// Checks are the top-level checks (fly.toml [checks]), by name.
	Checks map[string]ServiceCheck `json:"checks,omitempty"`
	// Standbys names the machines this one stands by for; a standby stays
	// stopped until one of them fails.
	Standbys []string `json:"standbys,omitempty"`
}

// Conf is config, or incomplete_config when the host could not give the
// whole config (fly-go's GetConfig); nil when neither is there.
func (m *Machine) Conf() *MachineConfig {
	if m.Config != nil {
		return m.Config
	}
	return m.IncompleteConfig
}

// Metadata is one config.metadata value, or "".
func (m *Machine) Metadata(key string) string {
	if c := m.Conf(); c != nil {
		return c.Metadata[key]
	}
	return ""
}

// Service is one entry of config.services.
type Service struct {
	Protocol     string         `json:"protocol,omitempty"`
	InternalPort int            `json:"internal_port,omitempty"`
	Checks       []ServiceCheck `json:"checks,omitempty"`
}

// ServiceCheck is a service-level health check (fly.toml [[http_service.checks]]).
type ServiceCheck struct {
	Type        string   `json:"type,omitempty"`
	Method      string   `json:"method,omitempty"`
	Path        string   `json:"path,omitempty"`
	Port        int      `json:"port,omitempty"`
	Interval    Duration `json:"interval,omitempty"`
	Timeout     Duration `json:"timeout,omitempty"`
	GracePeriod Duration `json:"grace_period,omitempty"`
}

// CheckStatus is one health check result of a machine.
type CheckStatus struct {
	Name      string    `json:"name"`
	Status    string    `json:"status"` // passing | warning | critical
	Output    string    `json:"output,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MachineEvent is one entry of a machine's event history.
type MachineEvent struct {
	Type      string        `json:"type"`
	Status    string        `json:"status,omitempty"`
	Source    string        `json:"source,omitempty"`
	Timestamp int64         `json:"timestamp"` // milliseconds since the Unix epoch
	Request   *EventRequest `json:"request,omitempty"`
}

// EventRequest is the detail of an event; exit events carry the exit.
type EventRequest struct {
	ExitEvent    *ExitEvent `json:"exit_event,omitempty"`
	RestartCount int        `json:"restart_count,omitempty"`
}

// ExitEvent is how a machine's process ended.
type ExitEvent struct {
	ExitCode      int  `json:"exit_code"`
	RequestedStop bool `json:"requested_stop,omitempty"`
	OOMKilled     bool `json:"oom_killed,omitempty"`
}

// Check statuses (docs/fly-platform.md, "Checks").
const (
	CheckPassing  = "passing"
	CheckWarning  = "warning"
	CheckCritical = "critical"
)

// compatCheckPrefix names checks fly-go drops silently; so do we.
const compatCheckPrefix = "bg_deployments_compat"

// UnmarshalJSON reads updated_at leniently: a missing or malformed time
// becomes the zero time rather than failing the whole machine list.
func (c *CheckStatus) UnmarshalJSON(data []byte) error {
	var wire struct {
		Name      string          `json:"name"`
		Status    string          `json:"status"`
		Output    string          `json:"output"`
		UpdatedAt json.RawMessage `json:"updated_at"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*c = CheckStatus{Name: wire.Name, Status: wire.Status, Output: wire.Output}
	var s string
	if json.Unmarshal(wire.UpdatedAt, &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			c.UpdatedAt = t
		}
	}
	return nil
}

// ChecksPassing counts the machine's checks that are passing, and all of them
// (flyctl machine list's CHECKS column: only "passing" counts).
func (m *Machine) ChecksPassing() (passing, total int) {
	for _, c := range m.Checks {
		total++
		if c.Status == CheckPassing {
			passing++
		}
	}
	return passing, total
}

// GracePeriod is the longest grace_period of the machine's checks, service
// and top-level alike, or def when none sets one.
func (m *Machine) GracePeriod(def time.Duration) time.Duration {
	var longest time.Duration
	if c := m.Conf(); c != nil {
		for _, s := range c.Services {
			for _, c := range s.Checks {
				longest = max(longest, c.GracePeriod.Std())
			}
		}
		for _, c := range c.Checks {
			longest = max(longest, c.GracePeriod.Std())
		}
	}
	if longest <= 0 {
		return def
	}
	return longest
}

// LastStart is when the machine last started: its newest "start" event, else
// updated_at, else created_at, else the zero time.
func (m *Machine) LastStart() time.Time {
	var newest int64
	found := false
	for _, e := range m.Events {
		if e.Type == "start" && (!found || e.Timestamp > newest) {
			newest, found = e.Timestamp, true
		}
	}
	if found {
		return time.UnixMilli(newest).UTC()
	}
	for _, s := range []string{m.UpdatedAt, m.CreatedAt} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Active reports whether the machine is not destroyed and not being
// destroyed (fly-go's IsActive).
func (m *Machine) Active() bool {
	return m.State != "destroyed" && m.State != "destroying"
}

// Image is the machine's image as registry/repository:tag, falling back to
// config.image when image_ref is empty.
func (m *Machine) Image() string {
	if s := m.ImageRef.String(); s != "" {
		return s
	}
	if c := m.Conf(); c != nil {
		return c.Image
	}
	return ""
}

// MatchesImage reports whether the machine runs the image ref names (see
// ImageRef.MatchesImage); config.image stands in for an empty image_ref.
func (m *Machine) MatchesImage(ref string) bool {
	if m.ImageRef.Repository == "" && m.ImageRef.Digest == "" && m.Conf() != nil {
		return ParseImageRef(m.Conf().Image).MatchesImage(ref)
	}
	return m.ImageRef.MatchesImage(ref)
}

// String is registry/repository:tag, leaving out the parts that are empty.
func (r ImageRef) String() string {
	s := r.Repository
	if r.Registry != "" && s != "" {
		s = r.Registry + "/" + s
	}
	if r.Tag != "" && s != "" {
		s += ":" + r.Tag
	}
	return s
}

// Ref is String plus @digest when the digest is known: the most precise name.
func (r ImageRef) Ref() string {
	s := r.String()
	if r.Digest != "" {
		if s == "" {
			return r.Digest
		}
		return s + "@" + r.Digest
	}
	return s
}

// ParseImageRef splits "[registry/]repository[:tag][@digest]" or a bare
// "sha256:…" digest. A first path part counts as a registry when it looks
// like a host (has a dot or a port, or is localhost), as Docker decides.
func ParseImageRef(s string) ImageRef {
	s = strings.TrimSpace(s)
	var r ImageRef
	if isDigest(s) {
		r.Digest = s
		return r
	}
	if name, digest, ok := strings.Cut(s, "@"); ok {
		s, r.Digest = name, digest
	}
	if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[i:], "/") {
		s, r.Tag = s[:i], s[i+1:]
	}
	if host, rest, ok := strings.Cut(s, "/"); ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		r.Registry, s = host, rest
	}
	r.Repository = s
	return r
}

func isDigest(s string) bool {
	algo, hex, ok := strings.Cut(s, ":")
	return ok && strings.HasPrefix(strings.ToLower(algo), "sha") && hex != "" && !strings.ContainsAny(s, "/@")
}

// MatchesImage reports whether r is the image ref names. ref may be a digest
// ("sha256:…"), "registry.fly.io/app:tag", "app:tag", "app:tag@sha256:…" or a
// bare tag. A digest, when given, must match; every other part given must too.
func (r ImageRef) MatchesImage(ref string) bool {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return false
	}
	want := ParseImageRef(ref)
	if want.Digest != "" && !strings.EqualFold(want.Digest, r.Digest) {
		return false
	}
	if want.Repository == "" && want.Tag == "" {
		return want.Digest != "" // a bare digest, already compared
	}
	if !strings.ContainsAny(ref, ":/@") {
		return want.Repository == r.Tag // a bare tag
	}
	if want.Registry != "" && !strings.EqualFold(want.Registry, r.Registry) {
		return false
	}
	if want.Repository != r.Repository {
		return false
	}
	return want.Tag == "" || want.Tag == r.Tag
}

// Duration is a Machines API duration: "15s" on the wire, or a bare number
// of nanoseconds, as fly-go reads it (docs/fly-platform.md, "Durations").
// It marshals as a Go duration string.
type Duration time.Duration

// Std is d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MarshalJSON writes "15s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "15s", 60000000000 (nanoseconds), or null. A string
// holding only a number, which fly-go refuses, is read as nanoseconds too
// rather than failing the whole machine list.
func (d *Duration) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		*d = 0
		return nil
	}
	var s string
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*d = 0
			return nil
		}
	} else {
		s = string(data)
	}
	if v, err := time.ParseDuration(s); err == nil {
		*d = Duration(v)
		return nil
	}
	ns, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(ns) || math.IsInf(ns, 0) {
		return fmt.Errorf("duration %.40q is neither like \"15s\" nor a number of nanoseconds", s)
	}
	if ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return fmt.Errorf("duration %.40q ns is out of range", s)
	}
	*d = Duration(int64(ns))
	return nil
}
