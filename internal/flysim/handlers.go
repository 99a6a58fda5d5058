package flysim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var requestSeq atomic.Uint64

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/apps/{app}", s.appOnly(s.getApp))
	mux.HandleFunc("GET /v1/apps/{app}/machines", s.appOnly(s.listMachines))
	mux.HandleFunc("GET /v1/apps/{app}/machines/{id}", s.appOnly(s.getMachine))
	mux.HandleFunc("GET /v1/apps/{app}/machines/{id}/wait", s.appOnly(s.waitMachine))
	mux.HandleFunc("GET /api/v1/apps/{app}/logs", s.appOnly(s.getLogs))
	mux.HandleFunc("/app/", s.proxy)
	mux.HandleFunc("POST /_sim/apps/{app}/deploy", s.appOnly(s.startDeploy))
	mux.HandleFunc("GET /_sim/apps/{app}/deploy", s.appOnly(s.getDeploy))
	mux.HandleFunc("DELETE /_sim/apps/{app}/deploy", s.appOnly(s.cancelDeploy))
	mux.HandleFunc("GET /_sim/clock", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"now": s.clock.Now().Format(time.RFC3339Nano), "speed": s.clock.Speed()})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	return s.middleware(mux)
}

// middleware stamps every response like Fly does, injects faults and checks
// the token (the app under /app/ is public, like the real proxy).
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("fly-request-id", fmt.Sprintf("01SIM%021d-nrt", requestSeq.Add(1)))
		h.Set("server", "Fly/flysim")
		h.Set("via", "1.1 fly.io")
		done, ok := s.admit(w, r)
		if !ok {
			return
		}
		defer done()
		answered, truncate := s.injectFault(w, r)
		switch {
		case answered:
		case truncate:
			halfWriter(w, r, s.authed(next))
		default:
			s.authed(next).ServeHTTP(w, r)
		}
	})
}

// authed checks the token; the app under /app/ is public, as behind the real proxy.
func (s *Server) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/app/") && !s.authorized(r.Header.Get("Authorization")) {
			writeError(w, http.StatusUnauthorized, "Authenticate: token validation error")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// appOnly answers 404 for any app but the simulated one.
func (s *Server) appOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		missing := s.faults.AppMissing && s.faults.applies(r.URL.Path)
		s.mu.Unlock()
		if r.PathValue("app") != s.app || missing {
			writeError(w, http.StatusNotFound, "app not found")
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name": s.app, "status": "deployed",
		"organization": map[string]string{"name": "personal", "slug": "personal"},
	})
}

func (s *Server) listMachines(w http.ResponseWriter, r *http.Request) {
	region := r.URL.Query().Get("region")
	now := s.clock.Now()
	s.mu.Lock()
	out := []wireMachine{}
	for _, m := range s.machines {
		if region == "" || region == m.region {
			out = append(out, m.toWire(s.app, now, s.q))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) machine(id string) *machine {
	for _, m := range s.machines {
		if m.id == id {
			return m
		}
	}
	return nil
}

func (s *Server) getMachine(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now()
	s.mu.Lock()
	m := s.machine(r.PathValue("id"))
	var out wireMachine
	if m != nil {
		out = m.toWire(s.app, now, s.q)
	}
	s.mu.Unlock()
	if m == nil {
		writeError(w, http.StatusNotFound, "machine not found")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

var waitStates = map[string]bool{"started": true, "stopped": true, "suspended": true, "destroyed": true, "settled": true}

// settled states are the non-transitional ones (flyctl's undocumented
// state=settled, docs/fly-platform.md "API bases").
var settledStates = map[string]bool{"created": true, "started": true, "stopped": true, "suspended": true, "failed": true, "destroyed": true}

// waitQuery is a parsed /wait query.
type waitQuery struct {
	states  []string
	timeout time.Duration // simulated
	version string
}

func parseWaitQuery(q map[string][]string) (waitQuery, error) {
	wq := waitQuery{timeout: 60 * time.Second}
	for _, st := range q["state"] {
		if !waitStates[st] {
			return wq, fmt.Errorf("invalid state %q: want started, stopped, suspended, destroyed or settled", st)
		}
		wq.states = append(wq.states, st)
	}
	if len(wq.states) == 0 {
		wq.states = []string{"started"}
	}
	if v := first(q["timeout"]); v != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(v, "s"))
		if err != nil || n < 1 || n > 60 {
			return wq, fmt.Errorf("invalid timeout %q: want whole seconds from 1 to 60", v)
		}
		wq.timeout = time.Duration(n) * time.Second
	}
	wq.version = first(q["version"])
	if wq.version == "" {
		wq.version = first(q["instance_id"])
	}
	return wq, nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// waitMachine long-polls until the machine reaches one of the states. The
// timeout is simulated seconds, so it passes speed times faster.
func (s *Server) waitMachine(w http.ResponseWriter, r *http.Request) {
	wq, err := parseWaitQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := r.PathValue("id")
	deadline := time.Now().Add(s.clock.RealDuration(wq.timeout))
	for {
		now := s.clock.Now()
		s.mu.Lock()
		m := s.machine(id)
		state, known := "", false
		if m != nil {
			cur := m.at(now)
			state = cur.state
			known = wq.version == "" || wq.version == cur.boot.instanceID
			for _, b := range m.bootsUpTo(now) {
				if !known && b.instanceID == wq.version {
					known, state = true, "stopped" // an older version has been replaced
				}
			}
		}
		s.mu.Unlock()
		switch {
		case m == nil:
			writeError(w, http.StatusNotFound, "machine not found")
			return
		case !known:
			writeError(w, http.StatusNotFound, "machine version not found")
			return
		}
		for _, want := range wq.states {
			if want == state || (want == "settled" && settledStates[state]) {
				writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
				return
			}
		}
		if !time.Now().Before(deadline) {
			writeError(w, http.StatusRequestTimeout, "deadline_exceeded: machine did not reach state "+strings.Join(wq.states, "|")+" before timeout")
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// logsPage is the most entries one logs response holds.
const logsPage = 100

// getLogs serves the logs API. next_token is a nanosecond timestamp: entries
// strictly after it are returned, oldest first, at most 100, and only those
// whose simulated time has come. An empty next_token means "the last 24 h";
// unlike the real API (newest 100) the simulator returns the OLDEST 100 of
// that window first, so paging forward with next_token walks every line.
func (s *Server) getLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.clock.Now()
	from, err := parseNextToken(q.Get("next_token"), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	instance, region := q.Get("instance"), q.Get("region")
	s.mu.Lock()
	page := s.logsPage(from, now, instance, region, logsPage)
	s.mu.Unlock()
	resp := wireLogs{Data: []wireLogEntry{}}
	for _, e := range page {
		resp.Data = append(resp.Data, e.toWire())
		resp.Meta.NextToken = strconv.FormatInt(e.ts.UnixNano(), 10)
	}
	if len(resp.Data) == 0 && s.q.NullLogPages {
		resp.Data = nil // marshals as "data": null
	}
	if resp.Meta.NextToken == "" {
		resp.Meta.NextToken = strconv.FormatInt(from.UnixNano(), 10)
		if q.Get("next_token") == "" {
			resp.Meta.NextToken = strconv.FormatInt(now.UnixNano(), 10)
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// parseNextToken reads a logs API cursor: empty means 24 h before now.
func parseNextToken(tok string, now time.Time) (time.Time, error) {
	if tok == "" {
		return now.Add(-24 * time.Hour), nil
	}
	n, err := strconv.ParseInt(tok, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("invalid next_token %q: want nanoseconds since the Unix epoch", tok)
	}
	return time.Unix(0, n).UTC(), nil
}

// proxy answers as the app behind the Fly proxy: per machine with
// fly-force-instance-id, otherwise from any healthy machine. A request that
// finds no healthy machine gets what the proxy gives: 503 and PR04.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/app")
	now := s.clock.Now()
	forced := r.Header.Get("fly-force-instance-id")
	s.mu.Lock()
	var target *machine
	var healthy []*machine
	for _, m := range s.machines {
		if m.at(now).healthy() {
			healthy = append(healthy, m)
		}
	}
	if forced != "" {
		for _, m := range healthy {
			if m.id == forced {
				target = m
			}
		}
	} else if len(healthy) > 0 {
		target = healthy[s.rr%len(healthy)]
		s.rr++
	}
	s.mu.Unlock()
	if target == nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, proxyError)
		return
	}
	switch path {
	case checkPath:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case "/", "":
		writeJSON(w, http.StatusOK, map[string]string{"service": "autonomath-api"})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	}
}
