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
// The simulator builds its logs for each logs request, which with 200
// machines makes the server, not the client, the bottleneck. So fleetsim
// reads each machine's logs from the simulator once at start and
// answers the logs API from that copy, paged as the simulator pages
// (100 entries, next_token in nanoseconds). The Machines API is the
// simulator's own.
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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jpops-dev/jpops/internal/flysim"
)

const (
	token    = "fleetsim-token"
	logsPage = 100
)

type entry struct {
	ts  int64
	raw json.RawMessage
}

type page struct {
	Data []json.RawMessage `json:"data"`
	Meta struct {
		NextToken string `json:"next_token"`
	} `json:"meta"`
}

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
	logs, err := snapshotLogs(sim, s.App(), s.MachineIDs())
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim: reading the simulator's logs:", err)
		os.Exit(1)
	}
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
		if strings.HasPrefix(r.URL.Path, "/api/") && strings.HasSuffix(r.URL.Path, "/logs") {
			serveLogs(w, r, logs)
			return
		}
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

// snapshotLogs pages through each machine's logs once (one machine at a
// time: the simulator builds only that machine's logs), oldest first.
func snapshotLogs(sim http.Handler, app string, ids []string) (map[string][]entry, error) {
	out := map[string][]entry{}
	for _, id := range ids {
		if err := snapshotMachine(sim, app, id, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func snapshotMachine(sim http.Handler, app, id string, out map[string][]entry) error {
	next := ""
	for {
		req := httptest.NewRequest("GET", "/api/v1/apps/"+app+"/logs?instance="+id+"&next_token="+next, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		if rec.Code != 200 {
			return fmt.Errorf("status %d: %s", rec.Code, rec.Body)
		}
		var p page
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			return err
		}
		for _, raw := range p.Data {
			var e struct {
				Attributes struct{ Timestamp, Instance string }
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				return err
			}
			t, err := time.Parse(time.RFC3339Nano, e.Attributes.Timestamp)
			if err != nil {
				return err
			}
			out[e.Attributes.Instance] = append(out[e.Attributes.Instance], entry{t.UnixNano(), raw})
		}
		if len(p.Data) < logsPage {
			return nil
		}
		next = p.Meta.NextToken
	}
}

func serveLogs(w http.ResponseWriter, r *http.Request, logs map[string][]entry) {
	if r.Header.Get("Authorization") != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"Authenticate: token validation error"}`)
		return
	}
	q := r.URL.Query()
	from := time.Now().Add(-24 * time.Hour).UnixNano()
	if t := q.Get("next_token"); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid next_token"}`)
			return
		}
		from = n
	}
	es := logs[q.Get("instance")]
	i := sort.Search(len(es), func(i int) bool { return es[i].ts > from })
	p := page{Data: []json.RawMessage{}}
	p.Meta.NextToken = strconv.FormatInt(from, 10)
	for ; i < len(es) && len(p.Data) < logsPage; i++ {
		p.Data = append(p.Data, es[i].raw)
		p.Meta.NextToken = strconv.FormatInt(es[i].ts, 10)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(p)
}
