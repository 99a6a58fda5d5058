package flysim

import (
	"bytes"
	"net/http"
	"strings"
	"time"
)

// Faults make the Fly APIs misbehave, for tests of a client's retries and
// error paths. By default they hit the Fly APIs (/v1 and /api) only, never
// the control API or the app; PathPrefix narrows or moves that ("/v1",
// "/api", "/app", "/_sim").
//
// The one-shot faults (Status, Delay, ResetConnection, Truncate, Garbage)
// hit the next Count matching requests and then clear; Count 0 means every
// matching request until the next SetFaults. Unauthorized, LogsDown and
// AppMissing hold until the next SetFaults.
type Faults struct {
	Status          int           // answer this status, with Fly's {"error": ...} body
	Count           int           // how many requests the one-shot faults hit; 0 = all
	RetryAfter      string        // Retry-After header sent with Status
	Delay           time.Duration // real time to stall before answering
	ResetConnection bool          // hijack the connection and close it, no answer
	Truncate        bool          // send only the first half of the JSON body
	Garbage         bool          // 200 with a non-JSON body
	Unauthorized    bool          // 401 to every request
	LogsDown        bool          // the logs API answers 503 while the Machines API works
	AppMissing      bool          // 404 app not found
	PathPrefix      string        // limit the faults to paths with this prefix
	// MaxInFlight makes a rate-limited API: a request arriving while this
	// many are being answered gets 429 (with RetryAfter, if set) at once.
	// It holds until the next SetFaults; 0 means no limit.
	MaxInFlight int
}

// SetFaults replaces the active faults; SetFaults(Faults{}) clears them.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

func (f Faults) applies(path string) bool {
	if f.PathPrefix != "" {
		return strings.HasPrefix(path, f.PathPrefix)
	}
	return strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/api/")
}

// admit counts a Fly API request in flight for Faults.MaxInFlight. Past the
// limit it answers 429 and reports false; otherwise the caller calls done
// once the request is answered.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (done func(), ok bool) {
	s.mu.Lock()
	f := s.faults
	if f.MaxInFlight <= 0 || !f.applies(r.URL.Path) {
		s.mu.Unlock()
		return func() {}, true
	}
	if s.inFlight >= f.MaxInFlight {
		s.mu.Unlock()
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, http.StatusTooManyRequests, "rate limit exceeded")
		return nil, false
	}
	s.inFlight++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}, true
}

func (f Faults) oneShot() bool {
	return f.Status != 0 || f.Delay > 0 || f.ResetConnection || f.Truncate || f.Garbage
}

// injectFault applies the active faults and the flaky-api pattern to one
// request. It reports whether the request has been answered, and whether its
// body must be cut in half.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) (answered, truncate bool) {
	s.mu.Lock()
	f := s.faults
	hit := f.applies(r.URL.Path)
	if hit && f.oneShot() && f.Count > 0 {
		s.faults.Count--
		if s.faults.Count == 0 {
			s.faults.Status, s.faults.Delay, s.faults.RetryAfter = 0, 0, ""
			s.faults.ResetConnection, s.faults.Truncate, s.faults.Garbage = false, false, false
		}
	}
	if !hit {
		f = Faults{}
	}
	if s.sc.flaky {
		f = s.flakyFault(r.URL.Path, f)
	}
	s.mu.Unlock()

	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return true, false
		}
	}
	switch {
	case f.ResetConnection:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true, false
			}
		}
		panic(http.ErrAbortHandler) // no hijacking (HTTP/2): abort the stream instead
	case f.Unauthorized:
		writeError(w, http.StatusUnauthorized, "Authenticate: token validation error")
	case f.LogsDown && strings.HasPrefix(r.URL.Path, "/api/"):
		writeError(w, http.StatusServiceUnavailable, "logs service unavailable")
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, strings.ToLower(http.StatusText(f.Status)))
	case f.Garbage:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<html><body>upstream hiccup</body></html>\n")) //nolint:errcheck
	case f.Truncate:
		return false, true
	default:
		return false, false
	}
	return true, false
}

// flakyFault is the flaky-api scenario's pattern: every 3rd Machines API
// request answers 502 or 503 in turn, the 2nd logs request answers 429 with
// Retry-After: 1, and every 5th Fly API request is slow. No two failures in a
// row, so a client that retries gets through.
func (s *Server) flakyFault(path string, f Faults) Faults {
	switch {
	case strings.HasPrefix(path, "/v1/"):
		s.requests++
		if s.requests%3 == 0 {
			f.Status = []int{http.StatusBadGateway, http.StatusServiceUnavailable}[(s.requests/3)%2]
		}
		if s.requests%5 == 0 && f.Delay == 0 {
			f.Delay = 300 * time.Millisecond
		}
	case strings.HasPrefix(path, "/api/"):
		s.logsSeen++
		if s.logsSeen == 2 {
			f.Status, f.RetryAfter = http.StatusTooManyRequests, "1"
		}
	}
	return f
}

// halfWriter buffers a response and sends only the first half of its body.
func halfWriter(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := &bufferWriter{header: w.Header(), status: http.StatusOK}
	next.ServeHTTP(rec, r)
	w.WriteHeader(rec.status)
	body := rec.buf.Bytes()
	w.Write(body[:len(body)/2]) //nolint:errcheck
}

type bufferWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufferWriter) WriteHeader(code int)        { b.status = code }
