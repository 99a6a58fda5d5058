// Package runbook is the DB-boot-hang runbook as data: its phases' texts,
// the signatures that identify the incident, the escape command and the
// smoke walk. The default runbook is embedded; operators may load another
// with --runbook FILE. Loading is strict: unknown keys, bad patterns and bad
// durations are errors that name the file, line and key.
//
// This package imports nothing from the rest of jpops, so other modules may
// use it to read or check runbook files.
package runbook

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed db-boot-hang.yaml
var defaultYAML []byte

// DefaultName is the file name of the embedded runbook.
const DefaultName = "db-boot-hang.yaml"

// Phase IDs, in the order the runbook walks them.
const (
	PhaseDiagnose = "diagnose"
	PhaseBootlogs = "bootlogs"
	PhaseEscape   = "escape"
	PhaseSmoke    = "smoke"
)

// PhaseIDs lists the four phases in order.
var PhaseIDs = []string{PhaseDiagnose, PhaseBootlogs, PhaseEscape, PhaseSmoke}

// Runbook is one runbook file.
type Runbook struct {
	Name        string   `yaml:"name"`
	Title       string   `yaml:"title"`
	Summary     string   `yaml:"summary"`
	Phases      []Phase  `yaml:"phases"`
	Checks      Checks   `yaml:"checks"`
	BootMarkers []string `yaml:"boot_markers"`
	BootOps     []BootOp `yaml:"boot_ops"`
	Escape      Escape   `yaml:"escape"`
	Smoke       Smoke    `yaml:"smoke"`

	// Source names where the runbook came from, for error messages.
	Source string `yaml:"-"`
}

// Phase is the people's side of one phase: why, what to do, what not to do.
type Phase struct {
	ID    string   `yaml:"id"`
	Title string   `yaml:"title"`
	Why   string   `yaml:"why"`
	Do    []string `yaml:"do"`
	Dont  []string `yaml:"dont"`
}

// Checks is the phase-1 signature: a machine in State whose checks are not
// all passing for longer than its grace period (DefaultGrace when the
// machine's check config has none).
type Checks struct {
	State        string   `yaml:"state"`
	DefaultGrace Duration `yaml:"default_grace"`
}

// BootOp is one full-scan boot op signature: a start line (with the DB path
// captured as the named group "db") and the lines that mean it finished.
type BootOp struct {
	Name        string    `yaml:"name"`
	Start       Pattern   `yaml:"start"`
	Completions []Pattern `yaml:"completions"`
	HangAfter   Duration  `yaml:"hang_after"`
}

// Escape is phase 3's command. "{app}" in Command is replaced by the app.
type Escape struct {
	Command     []string `yaml:"command"`
	IdleTimeout Duration `yaml:"idle_timeout"` // no output for this long fails the deploy
	Timeout     Duration `yaml:"timeout"`      // the whole deploy
	BootScripts []string `yaml:"boot_scripts"`
}

// Smoke is phase 4's walk.
type Smoke struct {
	BaseURL  string         `yaml:"base_url"`
	Requests []SmokeRequest `yaml:"requests"`
	Hold     Duration       `yaml:"hold"`
	Interval Duration       `yaml:"interval"`
	// APIOutage is how long the Machines API may stay unreachable during the
	// settle or the hold before the walk fails: reads are retried until then.
	APIOutage Duration `yaml:"api_outage"`
}

// SmokeRequest is one request every machine must answer with Status.
type SmokeRequest struct {
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
	Status int    `yaml:"status"`
}

// Duration is a time.Duration written as "5m" or "90s".
type Duration struct {
	time.Duration
	raw  string
	line int
	err  error
}

// UnmarshalYAML records the value; Load reports a bad one with its key.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	d.raw, d.line = n.Value, n.Line
	d.Duration, d.err = time.ParseDuration(strings.TrimSpace(n.Value))
	if d.err == nil && d.Duration < 0 {
		d.err = errors.New("must not be negative")
	}
	return nil
}

// MarshalYAML writes the duration back in its short form.
func (d Duration) MarshalYAML() (any, error) { return d.Duration.String(), nil }

// Pattern is a regular expression (RE2 syntax).
type Pattern struct {
	*regexp.Regexp
	raw  string
	line int
	err  error
}

// UnmarshalYAML records and compiles the value; Load reports a bad one with its key.
func (p *Pattern) UnmarshalYAML(n *yaml.Node) error {
	p.raw, p.line = n.Value, n.Line
	p.Regexp, p.err = regexp.Compile(n.Value)
	return nil
}

// MarshalYAML writes the pattern's source.
func (p Pattern) MarshalYAML() (any, error) { return p.raw, nil }

// MustPattern compiles s, for tests and code-built runbooks.
func MustPattern(s string) Pattern { return Pattern{Regexp: regexp.MustCompile(s), raw: s} }

// Error is a problem in a runbook file, with where it is.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// Default returns the embedded runbook.
func Default() *Runbook {
	rb, err := Parse(DefaultName, defaultYAML)
	if err != nil {
		panic("embedded runbook is invalid: " + err.Error()) // caught by the package tests
	}
	return rb
}

// DefaultYAML returns the embedded runbook's text.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// MaxSize bounds a runbook file.
const MaxSize = 1 << 20

// Load reads and validates a runbook file; an empty path means the default.
func Load(path string) (*Runbook, error) {
	if path == "" {
		return Default(), nil
	}
	// Bounded: a runbook is a few KiB, and a path to a device or an endless
	// file must fail at once, not fill memory.
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read runbook: %v", errors.Unwrap(err))}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read runbook: %v", errors.Unwrap(err))}
	}
	if len(b) > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d KiB, not a runbook (a device or an endless file?)", MaxSize>>10)}
	}
	return Parse(path, b)
}

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line (\d+): (.*)`) })

// Parse decodes and validates runbook text; file names it in errors.
func Parse(file string, data []byte) (*Runbook, error) {
	var rb Runbook
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rb); err != nil {
		return nil, yamlError(file, err)
	}
	rb.Source = file
	if err := rb.validate(); err != nil {
		return nil, err
	}
	return &rb, nil
}

// yamlError turns the decoder's message into file:line: message.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		if m := yamlLine().FindStringSubmatch(msg); m != nil {
			var line int
			fmt.Sscan(m[1], &line)
			return &Error{File: file, Line: line, Msg: strings.Replace(m[2], " in type runbook.", " in ", 1)}
		}
		return &Error{File: file, Msg: msg}
	}
	if err.Error() == "EOF" {
		return &Error{File: file, Msg: "the file is empty"}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Msg: msg}
}

func (rb *Runbook) validate() error {
	f := rb.Source
	bad := func(line int, key, format string, a ...any) error {
		return &Error{File: f, Line: line, Key: key, Msg: fmt.Sprintf(format, a...)}
	}
	dur := func(key string, d Duration, required bool) error {
		if d.err != nil {
			return bad(d.line, key, "bad duration %q: %v (write it like 90s or 5m)", d.raw, d.err)
		}
		if required && d.Duration == 0 {
			return bad(d.line, key, "must be set and above zero")
		}
		return nil
	}
	pat := func(key string, p Pattern) error {
		if p.err != nil {
			return bad(p.line, key, "bad regular expression %q: %v", p.raw, strings.TrimPrefix(p.err.Error(), "error parsing regexp: "))
		}
		if p.Regexp == nil {
			return bad(p.line, key, "must be set")
		}
		return nil
	}
	if rb.Name == "" {
		return bad(0, "name", "must be set")
	}
	seen := map[string]bool{}
	for i, p := range rb.Phases {
		if !contains(PhaseIDs, p.ID) {
			return bad(0, fmt.Sprintf("phases[%d].id", i), "unknown phase %q (want one of %s)", p.ID, strings.Join(PhaseIDs, ", "))
		}
		if seen[p.ID] {
			return bad(0, fmt.Sprintf("phases[%d].id", i), "phase %q appears twice", p.ID)
		}
		seen[p.ID] = true
	}
	if rb.Checks.State == "" {
		rb.Checks.State = "started"
	}
	if err := dur("checks.default_grace", rb.Checks.DefaultGrace, false); err != nil {
		return err
	}
	if rb.Checks.DefaultGrace.Duration == 0 {
		rb.Checks.DefaultGrace.Duration = 60 * time.Second
	}
	if len(rb.BootOps) == 0 {
		return bad(0, "boot_ops", "at least one boot op is needed")
	}
	names := map[string]bool{}
	for i, op := range rb.BootOps {
		key := fmt.Sprintf("boot_ops[%d]", i)
		if op.Name == "" {
			return bad(op.Start.line, key+".name", "must be set")
		}
		if names[op.Name] {
			return bad(op.Start.line, key+".name", "boot op %q appears twice", op.Name)
		}
		names[op.Name] = true
		if err := pat(key+".start", op.Start); err != nil {
			return err
		}
		if len(op.Completions) == 0 {
			return bad(op.Start.line, key+".completions", "at least one completion pattern is needed")
		}
		for j, c := range op.Completions {
			if err := pat(fmt.Sprintf("%s.completions[%d]", key, j), c); err != nil {
				return err
			}
		}
		if err := dur(key+".hang_after", op.HangAfter, true); err != nil {
			return err
		}
	}
	if len(rb.Escape.Command) == 0 {
		return bad(0, "escape.command", "must be set")
	}
	for _, d := range []struct {
		key string
		d   Duration
	}{{"escape.idle_timeout", rb.Escape.IdleTimeout}, {"escape.timeout", rb.Escape.Timeout}, {"smoke.hold", rb.Smoke.Hold}, {"smoke.interval", rb.Smoke.Interval}, {"smoke.api_outage", rb.Smoke.APIOutage}} {
		if err := dur(d.key, d.d, false); err != nil {
			return err
		}
	}
	if len(rb.Escape.BootScripts) == 0 {
		rb.Escape.BootScripts = []string{"entrypoint.sh"}
	}
	if len(rb.Smoke.Requests) == 0 {
		rb.Smoke.Requests = []SmokeRequest{{Method: "GET", Path: "/v1/healthz", Status: 200}}
	}
	for i := range rb.Smoke.Requests {
		r := &rb.Smoke.Requests[i]
		if r.Method == "" {
			r.Method = "GET"
		}
		if r.Status == 0 {
			r.Status = 200
		}
		if !strings.HasPrefix(r.Path, "/") {
			return bad(0, fmt.Sprintf("smoke.requests[%d].path", i), "must start with / (got %q)", r.Path)
		}
	}
	if rb.Smoke.Hold.Duration == 0 && rb.Smoke.Hold.raw == "" {
		rb.Smoke.Hold.Duration = 5 * time.Minute
	}
	if rb.Smoke.Interval.Duration == 0 {
		rb.Smoke.Interval.Duration = 10 * time.Second
	}
	if rb.Smoke.APIOutage.Duration == 0 {
		rb.Smoke.APIOutage.Duration = 2 * time.Minute
	}
	return nil
}

// Phase returns the phase with the given ID, or a bare one named after it.
func (rb *Runbook) Phase(id string) Phase {
	for _, p := range rb.Phases {
		if p.ID == id {
			return p
		}
	}
	return Phase{ID: id, Title: id}
}

// EscapeCommand returns the escape command with {app} filled in.
func (rb *Runbook) EscapeCommand(app string) []string {
	out := make([]string, len(rb.Escape.Command))
	for i, a := range rb.Escape.Command {
		out[i] = strings.ReplaceAll(a, "{app}", app)
	}
	return out
}

// DB returns the database path a start line captured, or "".
func (op BootOp) DB(line string) (string, bool) {
	m := op.Start.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	if i := op.Start.SubexpIndex("db"); i > 0 {
		return m[i], true
	}
	return "", true
}

// Completes reports whether line is one of op's completion lines.
func (op BootOp) Completes(line string) bool {
	for _, c := range op.Completions {
		if c.MatchString(line) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
