// Package flysim is a simulated Fly.io platform for drills and tests: one
// loopback HTTP server speaking the Machines API, the logs API and the app
// itself (the wire shapes of docs/fly-platform.md), driven by a fast clock and a
// scenario, plus a control API under /_sim/ and a stand-in flyctl.
//
// Routes, all on one server:
//
//	GET  /v1/apps/{app}                          app
//	GET  /v1/apps/{app}/machines                 machine list (?region=)
//	GET  /v1/apps/{app}/machines/{id}            one machine
//	GET  /v1/apps/{app}/machines/{id}/wait       ?state=&timeout=&version=|instance_id=
//	GET  /api/v1/apps/{app}/logs                 ?instance=&region=&next_token=
//	ANY  /app/...                                the app behind the Fly proxy (fly-force-instance-id)
//	POST /_sim/apps/{app}/deploy                 start a rolling deploy (body optional: {"outcome":...})
//	GET  /_sim/apps/{app}/deploy                 the latest deploy's progress
//	DELETE /_sim/apps/{app}/deploy               interrupt it (what Ctrl-C on flyctl does)
//	GET  /_sim/clock                             {"now":..., "speed":...}
//
// Everything except /app/ needs a token. State is computed lazily from the
// clock on each request; there are no background goroutines.
package flysim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	Scenario string    // one of Scenarios(); default "db-boot-hang"
	Speed    float64   // simulated seconds per real second; default 1
	Token    string    // the accepted token; empty accepts any non-empty token
	App      string    // the app's name; default "autonomath-api"
	Start    time.Time // simulated time at start; default DefaultStart; a replay keeps its own
	Quirks   Quirks    // how the platform's answers differ from the plainest ones
}

// Quirks are real-platform behaviours a scenario can show on top of its
// story, so tests can hold jpops to each (docs/fly-platform.md).
type Quirks struct {
	NoChecks         bool   // no health check configured: config has none and checks is empty
	WarningChecks    bool   // failing checks report "warning", not "critical"
	TopLevelChecks   bool   // the health check is a top-level config.checks entry, not a service check
	IntegerDurations bool   // check durations as bare numbers of nanoseconds, not "60s"
	HostStatus       string // the first machine's host_status ("unreachable", "unknown"): its config comes as incomplete_config
	NullLogPages     bool   // an empty logs page is {"data": null}, as a Go server writes an empty slice
	DigestDiffers    bool   // the digest the deploy prints is not the machines' image_ref.digest (a manifest list)
	StrictAuth       bool   // a macaroon is accepted only as "FlyV1 …", any other token only as "Bearer …"
}

// Server is the simulated platform.
type Server struct {
	app   string
	token string
	sc    scenario
	clock *Clock
	q     Quirks
	start time.Time // simulated time the scenario started at

	mu       sync.Mutex
	machines []*machine
	ids      *ids
	deploys  []*deploy
	faults   Faults
	requests int // Fly API requests seen, drives the flaky-api pattern
	logsSeen int
	inFlight int // Fly API requests being answered, for Faults.MaxInFlight
	rr       int // round robin over healthy machines
	logs     logCache

	handler  http.Handler
	srv      *http.Server
	url      string
	listener net.Listener
}

// New builds a server for a scenario. It does not listen until Start.
func New(opts Options) (*Server, error) {
	if opts.Scenario == "" {
		opts.Scenario = "db-boot-hang"
	}
	sc, ok := lookupScenario(opts.Scenario)
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q: choose one of %s", opts.Scenario, strings.Join(Scenarios(), ", "))
	}
	if opts.Speed < 0 {
		return nil, fmt.Errorf("speed %v is negative: use a factor like 1 or 60", opts.Speed)
	}
	if opts.App == "" {
		opts.App = "autonomath-api"
	}
	switch {
	case !sc.start.IsZero():
		opts.Start = sc.start // a replay happens when it happened
	case opts.Start.IsZero():
		opts.Start = DefaultStart
	}
	s := &Server{app: opts.App, token: stripScheme(opts.Token), sc: sc, clock: NewClock(opts.Start, opts.Speed), q: opts.Quirks, start: opts.Start.UTC()}
	s.ids = newIDs(sc.name + "/" + opts.App)
	s.machines = sc.build(opts.App, opts.Start, s.ids)
	s.handler = s.routes()
	return s, nil
}

// Clock returns the simulation clock.
func (s *Server) Clock() *Clock { return s.clock }

// App returns the simulated app's name.
func (s *Server) App() string { return s.app }

// MachineIDs returns the ids of the app's machines.
func (s *Server) MachineIDs() []string {
	ids := make([]string, len(s.machines))
	for i, m := range s.machines {
		ids[i] = m.id
	}
	return ids
}

// Handler returns the server's HTTP handler, for httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// URL returns the base URL after Start, else "".
func (s *Server) URL() string { return s.url }

// Start listens on addr (default 127.0.0.1:0) and serves in the background.
// Only loopback addresses are allowed: the simulator is for this machine.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("bad listen address %q: %v (use host:port, e.g. 127.0.0.1:4280)", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("listen address %q is not loopback: the simulator only listens on 127.0.0.1 or ::1", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.listener = ln
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close
	return s.url, nil
}

// Close stops the server, cutting open requests.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Shutdown stops the server gracefully.
func (s *Server) shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

// stripScheme removes leading "Bearer " / "FlyV1 " schemes, repeatedly and
// case-insensitively, as fly-go's token parser does.
func stripScheme(tok string) string {
	fields := strings.Fields(tok)
	for len(fields) > 0 && (strings.EqualFold(fields[0], "bearer") || strings.EqualFold(fields[0], "flyv1")) {
		fields = fields[1:]
	}
	return strings.Join(fields, " ")
}

// strictScheme reports whether header names its token's scheme as Fly's
// APIs expect it: "FlyV1" for macaroons (fm1r_, fm1a_, fm2_), "Bearer" for
// any other token, and one scheme only.
func strictScheme(header, tok string) bool {
	macaroon := false
	for _, part := range strings.Split(tok, ",") {
		for _, p := range []string{"fm1r_", "fm1a_", "fm2_"} {
			macaroon = macaroon || strings.HasPrefix(strings.TrimSpace(part), p)
		}
	}
	want := "Bearer "
	if macaroon {
		want = "FlyV1 "
	}
	return strings.HasPrefix(header, want) && stripScheme(strings.TrimPrefix(header, want)) == strings.TrimSpace(strings.TrimPrefix(header, want))
}

// authorized reports whether an Authorization header carries an accepted token.
func (s *Server) authorized(header string) bool {
	low := strings.ToLower(header)
	if !strings.HasPrefix(low, "bearer ") && !strings.HasPrefix(low, "flyv1 ") {
		return false
	}
	tok := stripScheme(header)
	if tok == "" {
		return false
	}
	if s.q.StrictAuth && !strictScheme(header, tok) {
		return false
	}
	if s.token == "" {
		return true
	}
	for _, part := range strings.Split(tok, ",") {
		if strings.TrimSpace(part) == s.token {
			return true
		}
	}
	return false
}
