package flyapi

import (
	"context"
	"sync"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
)

// Concurrency defaults; docs/fly-platform.md, "Retries and rate limits".
const (
	// DefaultMaxInFlight is the most requests one API has in flight.
	DefaultMaxInFlight = 16
	// initialInFlight is where the limit starts: it doubles every round of
	// answers until the first 429, so a server with a small limit sees at
	// most a request or two past it.
	initialInFlight = 4
	// cutFactor is what a 429 leaves of the limit.
	cutFactor = 0.7
	// ceilingMemory is how long the limit stays below the number in flight
	// that drew the last 429 before probing above it again.
	ceilingMemory = 30 * time.Second
)

// inflight bounds one API's requests in flight and adapts to 429s
// (additive increase, multiplicative decrease): each success raises the
// limit (by one before the first 429, by 1/limit after); a 429 cuts it to
// cutFactor of itself once per round (requests that started before the cut
// do not cut again), keeps it below the number in flight that drew the 429
// for ceilingMemory, and pauses the API for its Retry-After. All waits run
// on the client's clock. Safe for concurrent use.
type inflight struct {
	clock clock.Clock
	max   float64

	mu           sync.Mutex
	limit        float64
	slowStart    bool
	ceiling      float64   // the fewest in flight that drew a 429 lately
	ceilingUntil time.Time // ceiling holds until then
	n            int       // requests in flight
	started      uint64    // requests admitted so far
	cutAt        uint64    // started when the limit was last cut
	pausedUntil  time.Time // Retry-After of the last 429
	wake         chan struct{}
}

func newInflight(clk clock.Clock, maxInFlight int) *inflight {
	maxInFlight = max(maxInFlight, 1)
	return &inflight{
		clock: clk, max: float64(maxInFlight),
		limit: float64(min(initialInFlight, maxInFlight)), slowStart: true,
		wake: make(chan struct{}),
	}
}

// ticket is one admitted request: its place in line and how many were in
// flight with it.
type ticket struct {
	seq      uint64
	inFlight int
}

// acquire waits for a slot (and for a Retry-After pause to end). It returns
// the request's ticket, to hand back to release.
func (l *inflight) acquire(ctx context.Context) (ticket, error) {
	for {
		l.mu.Lock()
		if wait := l.pausedUntil.Sub(l.clock.Now()); wait > 0 {
			l.mu.Unlock()
			if err := l.clock.Sleep(ctx, wait); err != nil {
				return ticket{}, err
			}
			continue
		}
		if l.n < max(int(l.limit), 1) {
			l.n++
			l.started++
			t := ticket{seq: l.started, inFlight: l.n}
			l.mu.Unlock()
			return t, nil
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return ticket{}, ctx.Err()
		case <-wake:
		}
	}
}

// outcome is how a request ended, for the limit.
type outcome int

const (
	outcomeOther   outcome = iota // no answer, a 5xx, an error: says nothing of the limit
	outcomeOK                     // an answer below 429's class
	outcomeLimited                // 429
)

// release frees the ticket's slot and adapts the limit. retryAfter is the
// 429's Retry-After (0: none).
func (l *inflight) release(t ticket, o outcome, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n--
	now := l.clock.Now()
	switch o {
	case outcomeOK:
		top := l.max
		if now.Before(l.ceilingUntil) {
			top = min(top, max(l.ceiling-1, 1))
		}
		if l.slowStart {
			l.limit = min(l.limit+1, top)
		} else if l.limit < top {
			l.limit = min(l.limit+1/l.limit, top)
		}
	case outcomeLimited:
		// The server turned this request away with t.inFlight in flight
		// (itself included), so it allows fewer: stay below that for a while.
		if now.Before(l.ceilingUntil) {
			l.ceiling = min(l.ceiling, float64(t.inFlight))
		} else {
			l.ceiling = float64(t.inFlight)
		}
		l.ceilingUntil = now.Add(ceilingMemory)
		if t.seq > l.cutAt {
			l.limit *= cutFactor
			l.cutAt, l.slowStart = l.started, false
		}
		l.limit = max(min(l.limit, l.ceiling-1), 1)
		if until := now.Add(retryAfter); until.After(l.pausedUntil) {
			l.pausedUntil = until
		}
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// current is the limit now, for tests and benchmarks.
func (l *inflight) current() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}
