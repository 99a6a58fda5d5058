package flyapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
)

// A server that turns away requests past a number in flight: every read
// still succeeds, the client soon keeps within the server's number, and a
// server with room sees the client's whole default.
func TestInFlightAdaptsTo429(t *testing.T) {
	tests := []struct {
		name       string
		serverMax  int64 // 429 past this many in flight; 0: never
		retryAfter string
	}{
		{"no limit", 0, ""},
		{"429 past 4", 4, ""},
		{"429 past 4 with Retry-After", 4, "1"},
		{"429 past 1", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inFlight, most, limited atomic.Int64
			var c *HTTPClient
			// With no limit, a request is held until the client has as many
			// in flight as its limit lets it (or 10 s have passed), so a
			// loaded machine slow to start the readers cannot hide whether
			// the client lets its whole default through.
			giveUp := make(chan struct{})
			stop := time.AfterFunc(10*time.Second, func() { close(giveUp) })
			defer stop.Stop()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := inFlight.Add(1)
				// A request stops counting before its answer is written: were it
				// counted until the handler returns, a loaded machine would let
				// the client's next request in first and see a 429 the client
				// did not cause.
				var once sync.Once
				done := func() { once.Do(func() { inFlight.Add(-1) }) }
				defer done()
				if tt.serverMax > 0 && n > tt.serverMax {
					done()
					limited.Add(1)
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
			hold:
				for tt.serverMax == 0 && most.Load() < DefaultMaxInFlight && inFlight.Load() < int64(c.limits["logs"].current()) {
					select {
					case <-giveUp:
						break hold
					case <-time.After(time.Millisecond):
					}
				}
				time.Sleep(2 * time.Millisecond)
				done()
				io.WriteString(w, logsBody("1"))
			}))
			defer srv.Close()
			clk := clock.NewManual(time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC))
			var err error
			c, err = New(Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: testToken, Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			const readers, reads = 32, 10
			var wg sync.WaitGroup
			var failed atomic.Int64
			for range readers {
				wg.Go(func() {
					for range reads {
						if _, err := c.GetLogs(context.Background(), "autonomath-api", LogQuery{Instance: "148ed726c1e589"}); err != nil {
							failed.Add(1)
							t.Log(err)
						}
					}
				})
			}
			wg.Wait()
			if failed.Load() > 0 {
				t.Fatalf("%d of %d reads failed", failed.Load(), readers*reads)
			}
			got := c.limits["logs"].current()
			t.Logf("most in flight %d, 429s %d, limit now %.1f", most.Load(), limited.Load(), got)
			switch {
			case tt.serverMax == 0:
				if most.Load() != DefaultMaxInFlight || got != DefaultMaxInFlight {
					t.Errorf("most in flight %d, limit %.1f: want the default %d with no 429", most.Load(), got, DefaultMaxInFlight)
				}
			default:
				if got > float64(tt.serverMax) {
					t.Errorf("limit %.1f after 429s, want at most the server's %d", got, tt.serverMax)
				}
				// A few rounds' worth turned away while it learns, not one per
				// read (320). How many is up to the scheduler: on a loaded
				// machine the slow start's answers can raise the limit to
				// the default before the client reads the first 429, and
				// those turned away come back before the rest of the
				// round's 429s lower the limit (16 seen under -race at
				// load). Two rounds at the default bound both.
				if limited.Load() > 2*DefaultMaxInFlight {
					t.Errorf("%d requests turned away, want at most two rounds at the default (%d)", limited.Load(), 2*DefaultMaxInFlight)
				}
			}
		})
	}
}

// A 429 cuts the limit once per round, however many requests of the round
// it turns away; the limit then stays below the number in flight that drew
// the 429 until ceilingMemory has passed, and climbs again after.
func TestInFlightCutsOncePerRound(t *testing.T) {
	clk := clock.NewManual(time.Unix(0, 0))
	l := newInflight(clk, 16)
	var round []ticket
	for range 4 {
		tk, err := l.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		round = append(round, tk)
	}
	// The server allows 2: the third and fourth of the round are turned away.
	l.release(round[3], outcomeLimited, 0)
	l.release(round[2], outcomeLimited, 0)
	l.release(round[0], outcomeOK, 0)
	l.release(round[1], outcomeOK, 0)
	if got := l.current(); got != 2 {
		t.Errorf("two 429s of one round left the limit at %.2f, want one cut to 2", got)
	}
	answer := func(n int) {
		for range n {
			tk, _ := l.acquire(context.Background())
			l.release(tk, outcomeOK, 0)
		}
	}
	answer(50)
	if got := l.current(); got != 2 {
		t.Errorf("within %s of the 429s the limit climbed to %.2f, want it kept at 2", ceilingMemory, got)
	}
	clk.Advance(ceilingMemory)
	answer(50)
	if got := l.current(); got <= 2 || got > DefaultMaxInFlight {
		t.Errorf("%s after the 429s the limit is %.2f, want it climbing again", ceilingMemory, got)
	}
}

// The default transport speaks HTTP/2 where the server offers it, and keeps
// a connection per request in flight: a fleet's reads reuse a few
// connections instead of opening one (and a TLS handshake) per request.
func TestTransportReusesConnections(t *testing.T) {
	var conns atomic.Int64
	var protos sync.Map
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		time.Sleep(time.Millisecond)
		io.WriteString(w, logsBody("1"))
	})
	tests := []struct {
		name      string
		tls       bool
		wantProto string
		maxConns  int64
	}{
		// A connection returns to the pool a moment after its answer is
		// read, so a few more than the requests in flight may open.
		{"http/1.1 on plain http", false, "HTTP/1.1", 2 * DefaultMaxInFlight},
		// The first requests race to dial before HTTP/2 is negotiated.
		{"http/2 over TLS", true, "HTTP/2.0", initialInFlight},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(handler)
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			conns.Store(0)
			protos.Clear()
			tr := transport(DefaultMaxInFlight)
			if tt.tls {
				srv.EnableHTTP2 = true
				srv.StartTLS()
				tr.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			} else {
				srv.Start()
			}
			defer srv.Close()
			c, err := New(Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: testToken, HTTPClient: &http.Client{Transport: tr}})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() {
					for range 20 {
						if _, err := c.GetLogs(context.Background(), "autonomath-api", LogQuery{}); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			if _, ok := protos.Load(tt.wantProto); !ok {
				t.Errorf("no request came as %s", tt.wantProto)
			}
			if n := conns.Load(); n > tt.maxConns {
				t.Errorf("640 reads opened %d connections, want at most %d", n, tt.maxConns)
			}
		})
	}
}

// The Machines API is asked at most DefaultMachinesPerSecond, after a burst
// of two, on the client's clock; the logs API is not bounded so.
func TestMachinesRateBound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			io.WriteString(w, logsBody("1"))
			return
		}
		io.WriteString(w, "[]")
	}))
	defer srv.Close()
	start := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	c, err := New(Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: testToken, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := c.GetLogs(context.Background(), "autonomath-api", LogQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if clk.Slept() != 0 {
		t.Errorf("10 logs reads waited %s", clk.Slept())
	}
	const lists = 6
	for range lists {
		if _, err := c.ListMachines(context.Background(), "autonomath-api"); err != nil {
			t.Fatal(err)
		}
	}
	want := time.Duration(float64(lists-machinesBurst) / DefaultMachinesPerSecond * float64(time.Second))
	if got := clk.Now().Sub(start); got < want-time.Millisecond || got > want+time.Millisecond {
		t.Errorf("%d lists took %s of the client's clock, want %s", lists, got, want)
	}
}

// How a 429 is answered depends on what it says: the first 429s of a round
// are answered by the cut (the requests turned away come back, each after
// its own Retry-After, while the rest go on); a 429 to a request sent after
// the cut with well below its limit in flight means fewer in flight does
// not help, and its Retry-After pauses the whole API.
func TestInFlight429Answers(t *testing.T) {
	const retryAfter = time.Second
	tests := []struct {
		name       string
		inRound    int           // requests in flight when the server turns the last away
		retryAfter time.Duration // of that 429
		insist     bool          // then a lone request sent after the cut is turned away too
		wantAgain  bool          // the last 429 may come back without a backoff
		wantPause  time.Duration // what the next request waits
	}{
		{"round of 8, no Retry-After", 8, 0, false, true, 0},
		{"round of 8, Retry-After: only that request waits", 8, retryAfter, false, false, 0},
		{"lone request, no Retry-After: backs off", 1, 0, false, false, 0},
		{"turned away again below the cut, no Retry-After", 8, 0, true, false, 0},
		{"turned away again below the cut, Retry-After pauses the API", 8, retryAfter, true, false, retryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewManual(time.Unix(0, 0))
			l := newInflight(clk, 16)
			l.limit = float64(tt.inRound)
			var round []ticket
			for range tt.inRound {
				tk, err := l.acquire(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				round = append(round, tk)
			}
			again := l.release(round[len(round)-1], outcomeLimited, tt.retryAfter)
			for _, tk := range round[:len(round)-1] {
				l.release(tk, outcomeOK, 0)
			}
			if tt.insist {
				tk, err := l.acquire(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if tk.inFlight != 1 {
					t.Fatalf("lone request has %d in flight", tk.inFlight)
				}
				if l.release(tk, outcomeLimited, tt.retryAfter) {
					t.Error("a 429 below the cut may come back at once, want a backoff")
				}
			} else if again != tt.wantAgain {
				t.Errorf("429 may come back at once = %v, want %v", again, tt.wantAgain)
			}
			before := clk.Slept()
			tk, err := l.acquire(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			l.release(tk, outcomeOK, 0)
			if got := clk.Slept() - before; got != tt.wantPause {
				t.Errorf("the next request waited %s, want %s", got, tt.wantPause)
			}
			if got := l.current(); got >= float64(tt.inRound) && tt.inRound > 1 {
				t.Errorf("limit %.2f after a 429 with %d in flight, want below it", got, tt.inRound)
			}
		})
	}
}

// queued is how many requests wait in l's line.
func (l *inflight) queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.queue.Len()
}

// waitQueued returns once n requests wait in l's line.
func waitQueued(t *testing.T, l *inflight, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for l.queued() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests in line, want %d", l.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Slots go to the waiting requests by rank, then in the order they asked,
// whatever order they came in: a fleet's first log pages before any second.
func TestInFlightServesByRank(t *testing.T) {
	tests := []struct {
		name  string
		ranks []int // of the requests, in the order they ask
		want  []int // indexes of ranks, in the order served
	}{
		{"same rank: first come, first served", []int{0, 0, 0}, []int{0, 1, 2}},
		{"lower rank first", []int{2, 1, 0}, []int{2, 1, 0}},
		{"mixed", []int{1, 0, 2, 0, 1}, []int{1, 3, 0, 4, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newInflight(clock.NewManual(time.Unix(0, 0)), 1)
			holder, err := l.acquire(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan int, len(tt.ranks))
			var wg sync.WaitGroup
			for i, rank := range tt.ranks {
				wg.Go(func() {
					tk, err := l.acquire(WithRank(context.Background(), rank))
					if err != nil {
						t.Error(err)
						return
					}
					served <- i
					l.release(tk, outcomeOK, 0)
				})
				waitQueued(t, l, i+1) // so they ask in this order
			}
			l.release(holder, outcomeOK, 0)
			wg.Wait()
			close(served)
			var got []int
			for i := range served {
				got = append(got, i)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("served %v, want %v", got, tt.want)
			}
		})
	}
}

// A request whose context ends while it waits leaves the line, and the slot
// goes to the next; none is lost.
func TestInFlightWaiterCancelled(t *testing.T) {
	l := newInflight(clock.NewManual(time.Unix(0, 0)), 1)
	holder, err := l.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := l.acquire(ctx)
		gaveUp <- err
	}()
	waitQueued(t, l, 1)
	next := make(chan ticket, 1)
	go func() {
		tk, err := l.acquire(context.Background())
		if err != nil {
			t.Error(err)
		}
		next <- tk
	}()
	waitQueued(t, l, 2)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v, want context.Canceled", err)
	}
	l.release(holder, outcomeOK, 0)
	tk := <-next
	if tk.inFlight != 1 {
		t.Errorf("the next request has %d in flight, want 1", tk.inFlight)
	}
	l.release(tk, outcomeOK, 0)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n != 0 || l.queue.Len() != 0 {
		t.Errorf("%d in flight and %d in line after all answered, want none", l.n, l.queue.Len())
	}
}

// The first 429s of a slow start arrive one by one, and the requests they
// turned away come back at once: one of those turned away again, before any
// request sent after the cut is answered, is still of the cut's round and
// only lowers the limit to below its in flight, not by a further cut.
func TestInFlightRoundOfFirst429s(t *testing.T) {
	l := newInflight(clock.NewManual(time.Unix(0, 0)), 16)
	l.limit = 12
	var round []ticket
	for range 12 {
		tk, err := l.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		round = append(round, tk)
	}
	// The server allows 8; its 429s reach the client highest first.
	l.release(round[11], outcomeLimited, 0)
	l.release(round[10], outcomeLimited, 0)
	l.release(round[0], outcomeOK, 0)
	// Sent again at once, with 10 in flight: turned away again.
	again, err := l.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l.release(again, outcomeLimited, 0)
	l.release(round[9], outcomeLimited, 0)
	l.release(round[8], outcomeLimited, 0)
	if got := l.current(); got != 8 {
		t.Errorf("limit %.2f after the round's 429s, want 8 (below the 9 in flight the lowest drew)", got)
	}
	// A request sent after the cut is answered: the next 429 is a new round.
	tk, _ := l.acquire(context.Background())
	l.release(tk, outcomeOK, 0)
	tk, _ = l.acquire(context.Background())
	l.release(tk, outcomeLimited, 0)
	if got := l.current(); got >= 8*cutFactor+0.01 {
		t.Errorf("limit %.2f after a 429 of a later round, want cut to %.2f", got, 8*cutFactor)
	}
}

// A limit a 429 taught an earlier client is where a later one starts, if
// recent: just below what was turned away, with no slow start above it.
func TestInFlightStartsFromLearned(t *testing.T) {
	now := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		learned   LearnedLimit
		wantLimit float64
		wantSlow  bool
	}{
		{"a minute ago", LearnedLimit{InFlight: 9, At: now.Add(-time.Minute)}, 8, false},
		{"past the memory", LearnedLimit{InFlight: 9, At: now.Add(-learnedMemory - time.Second)}, initialInFlight, true},
		{"in the future", LearnedLimit{InFlight: 9, At: now.Add(time.Hour)}, initialInFlight, true},
		{"above the client's most", LearnedLimit{InFlight: 40, At: now}, 16, false},
		{"nothing learned", LearnedLimit{At: now}, initialInFlight, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewManual(now)
			l := newInflight(clk, 16)
			l.startFrom(tt.learned)
			if got := l.current(); got != tt.wantLimit || l.slowStart != tt.wantSlow {
				t.Errorf("limit %.2f, slow start %v; want %.2f, %v", got, l.slowStart, tt.wantLimit, tt.wantSlow)
			}
			// Answers do not lift a learned limit while its ceiling holds.
			for range 20 {
				tk, _ := l.acquire(context.Background())
				l.release(tk, outcomeOK, 0)
			}
			if !tt.wantSlow && l.current() != tt.wantLimit {
				t.Errorf("limit %.2f after 20 answers, want it held at %.2f", l.current(), tt.wantLimit)
			}
		})
	}
}

// What a client learns from a server's 429s is told to OnLearn; a second
// client given it reads the same server with no request turned away, and
// one given a limit learned of another host starts as if it knew nothing.
func TestLearnedLimitSparesTheServer(t *testing.T) {
	const serverMax = 4
	var inFlight, limited atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		var once sync.Once
		done := func() { once.Do(func() { inFlight.Add(-1) }) }
		defer done()
		if n > serverMax {
			done()
			limited.Add(1)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		time.Sleep(2 * time.Millisecond)
		done()
		io.WriteString(w, logsBody("1"))
	}))
	defer srv.Close()
	read := func(cfg Config) *HTTPClient {
		t.Helper()
		cfg.MachinesBaseURL, cfg.LogsBaseURL, cfg.Token = srv.URL, srv.URL, testToken
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 5 {
					if _, err := c.GetLogs(context.Background(), "autonomath-api", LogQuery{Instance: "148ed726c1e589"}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		return c
	}
	var mu sync.Mutex
	var learned []LearnedLimit
	read(Config{OnLearn: func(ll LearnedLimit) {
		mu.Lock()
		defer mu.Unlock()
		learned = append(learned, ll)
	}})
	if limited.Load() == 0 || len(learned) == 0 {
		t.Fatalf("%d 429s, %d limits learned: want the first client to learn from a 429", limited.Load(), len(learned))
	}
	last := learned[len(learned)-1]
	if last.API != "logs" || last.Host != strings.TrimPrefix(srv.URL, "http://") || last.InFlight < 1 || last.At.IsZero() {
		t.Fatalf("learned %+v, want the logs API of %s with the in flight of a 429", last, srv.URL)
	}
	// Started from the 429 at one past the server's limit (the lowest the
	// first client can have met, which depends on how its requests raced):
	last.InFlight = serverMax + 1
	limited.Store(0)
	c := read(Config{Learned: []LearnedLimit{last}})
	if limited.Load() != 0 {
		t.Errorf("the client that started from what was learned drew %d 429s, want none", limited.Load())
	}
	if got := c.limits["logs"].current(); got > serverMax {
		t.Errorf("limit %.2f, want at most the server's %d", got, serverMax)
	}
	other := last
	other.Host = "api.fly.io"
	c, err := New(Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: testToken, Learned: []LearnedLimit{other}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.limits["logs"].current(); got != initialInFlight {
		t.Errorf("a limit learned of another host started the limit at %.2f, want %d", got, initialInFlight)
	}
}

// What a client keeps for the next is not below what it was answered at:
// a 429 counted with fewer in flight than requests answered before it (a
// race between requests given slots one after the other) names the
// larger.
func TestLearnedNotBelowAnswered(t *testing.T) {
	tests := []struct {
		name         string
		answered     int // requests in flight, all answered
		turnedAway   int // then one turned away with this many in flight
		wantInFlight int
	}{
		{"429 above the answered", 8, 9, 9},
		{"429 counted below the answered", 8, 7, 9},
		{"nothing answered", 0, 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newInflight(clock.NewManual(time.Unix(0, 0)), 16)
			l.limit = 16
			take := func(n int) []ticket {
				var round []ticket
				for range n {
					tk, _ := l.acquire(context.Background())
					round = append(round, tk)
				}
				return round
			}
			for _, tk := range take(tt.answered) {
				l.release(tk, outcomeOK, 0)
			}
			round := take(tt.turnedAway)
			l.release(round[tt.turnedAway-1], outcomeLimited, 0)
			got, _, ok := l.learned()
			if !ok || got != tt.wantInFlight {
				t.Errorf("learned %d (%v), want %d", got, ok, tt.wantInFlight)
			}
		})
	}
}
