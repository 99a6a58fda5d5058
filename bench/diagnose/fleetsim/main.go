// Command fleetsim serves the simulated platform with a large fleet and a
// fixed delay on every Fly API request, for timing `jpops diagnose`. It
// prints the base URL and token on one line, then serves until it is
// interrupted or terminated.
//
// With -limit N it is a rate-limited API: a request that arrives while N
// are in flight is answered 429 at once, with -retry-after as Retry-After
// when set. GET /_bench/stats reports (and with ?reset=1 zeroes) the
// requests, 429s, most in flight and connections opened since the last reset.
// A request turned away holds no place in flight, as with a semaphore's try.
// With -trace FILE each request appends a line: its start and end in
// milliseconds since the last reset, its status, path and instance.
//
// Logs, machines and the app are the simulator's own: it builds each boot's
// log lines once, so a 1,000-machine fleet is served without the server
// becoming the bottleneck, app-wide (what `jpops watch` reads) or by machine
// (what `jpops diagnose` reads).
//
//	go run ./bench/diagnose/fleetsim -machines 200 -delay 50ms
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jpops-dev/jpops/internal/flysim"
)

const token = "fleetsim-token"

func main() {
	machines := flag.Int("machines", 200, "machines in the app")
	delay := flag.Duration("delay", 50*time.Millisecond, "added latency of every Fly API request")
	limit := flag.Int("limit", 0, "answer 429 to a request arriving while this many are in flight (0: never)")
	retryAfter := flag.String("retry-after", "", "Retry-After header of the 429s (empty: none)")
	tracePath := flag.String("trace", "", "append one line per request to this file: start and end in ms since the last stats reset, status, path and instance")
	flag.Parse()
	s, err := flysim.New(flysim.Options{Token: token, Start: time.Now().UTC()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim:", err)
		os.Exit(2)
	}
	s.Grow(*machines)
	sim := s.Handler()
	st := stats{epoch: time.Now()}
	if *tracePath != "" {
		f, err := os.OpenFile(*tracePath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetsim:", err)
			os.Exit(2)
		}
		defer f.Close()
		st.trace = f
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_bench/stats" {
			st.serve(w, r.URL.Query().Get("reset") == "1")
			return
		}
		n := st.inFlight.Add(1)
		st.requests.Add(1)
		status := http.StatusOK
		if st.trace != nil {
			began := time.Now()
			defer func() { st.record(began, status, r) }()
		}
		if *limit > 0 && n > int64(*limit) {
			// Turned away at once, holding no place: a semaphore's try.
			st.inFlight.Add(-1)
			status = http.StatusTooManyRequests
			st.limited.Add(1)
			if *retryAfter != "" {
				w.Header().Set("Retry-After", *retryAfter)
			}
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"rate limit exceeded"}`)
			return
		}
		defer st.inFlight.Add(-1)
		for m := st.maxInFlight.Load(); n > m && !st.maxInFlight.CompareAndSwap(m, n); m = st.maxInFlight.Load() {
		}
		time.Sleep(*delay)
		sim.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, cs http.ConnState) {
		if cs == http.StateNew {
			st.conns.Add(1)
		}
	}
	srv.Start()
	fmt.Println(srv.URL, token)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	srv.Close()
}

// stats counts what the server saw.
type stats struct {
	inFlight, requests, limited, maxInFlight, conns atomic.Int64

	mu    sync.Mutex
	epoch time.Time // of the last reset
	trace io.Writer // nil: no trace
}

// record writes one request's line to the trace.
func (st *stats) record(began time.Time, status int, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ms := func(t time.Time) float64 { return float64(t.Sub(st.epoch).Microseconds()) / 1000 }
	inst := r.URL.Query().Get("instance")
	if inst == "" {
		inst = "-"
	}
	fmt.Fprintf(st.trace, "%.1f %.1f %d %s %s\n", ms(began), ms(time.Now()), status, r.URL.Path, inst)
}

func (st *stats) serve(w http.ResponseWriter, reset bool) {
	out := map[string]int64{"requests": st.requests.Load(), "limited": st.limited.Load(), "max_in_flight": st.maxInFlight.Load(), "connections": st.conns.Load()}
	if reset {
		st.mu.Lock()
		st.epoch = time.Now()
		if st.trace != nil {
			fmt.Fprintln(st.trace, "# reset")
		}
		st.mu.Unlock()
		st.requests.Store(0)
		st.limited.Store(0)
		st.maxInFlight.Store(0)
		st.conns.Store(0)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
