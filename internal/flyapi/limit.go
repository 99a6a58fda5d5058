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
	// cutFactor is what a 429 leaves of the limit, once past the first.
	cutFactor = 0.7
	// ceilingMemory is how long the limit stays below the number in flight
	// that drew the last 429 before probing above it again.
	ceilingMemory = 30 * time.Second
)

// inflight bounds one API's requests in flight and adapts to 429s
// (additive increase, multiplicative decrease): each success raises the
// limit (by one before the first 429, which doubles it every round of
// answers, by 1/limit after); a 429 cuts it to cutFactor of itself once per
// round (requests that started before the cut do not cut again) and keeps
// it below the number in flight that drew the 429 for ceilingMemory.
//
// A cut answers the 429s of its round: the requests it turned away come
// back behind the lower limit, each after its own Retry-After if the server
// gave one, while the others go on. Only a 429 to a request sent after a
// recent cut (the server still refuses at the lower limit) pauses the whole
// API for its Retry-After. All waits run on the client's clock. Safe for
// concurrent use.
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
	cutTo        float64   // what that cut left of the limit
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
// 429's Retry-After (0: none). For a 429 it says whether the request may
// come back at once, behind the lower limit, rather than after a backoff:
// so when no Retry-After was given, the cut answers the 429 (it was sent
// before the limit was cut for it or with it), and more than this one
// request was in flight (a 429 to a lone request is not about how many are
// in flight).
func (l *inflight) release(t ticket, o outcome, retryAfter time.Duration) (again bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.wakeAll()
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
		// Sent after a recent cut, with well below what it left in flight,
		// and still turned away: fewer in flight does not satisfy the server.
		insisting := l.cutAt > 0 && t.seq > l.cutAt && now.Before(l.ceilingUntil) &&
			float64(t.inFlight) <= max(l.cutTo*cutFactor, 1)
		// The server turned this request away with t.inFlight in flight
		// (itself included), so it allows fewer: stay below that for a while.
		if now.Before(l.ceilingUntil) {
			l.ceiling = min(l.ceiling, float64(t.inFlight))
		} else {
			l.ceiling = float64(t.inFlight)
		}
		l.ceilingUntil = now.Add(ceilingMemory)
		if t.seq > l.cutAt {
			if l.slowStart {
				// The first 429 says where the server's limit is: just
				// below this request's in flight (the clamp below).
				l.limit = float64(t.inFlight)
			} else {
				l.limit *= cutFactor
			}
			l.cutAt, l.slowStart = l.started, false
		}
		l.limit = max(min(l.limit, l.ceiling-1), 1)
		l.cutTo = l.limit
		if !insisting {
			return retryAfter == 0 && t.inFlight > 1
		}
		if until := now.Add(retryAfter); until.After(l.pausedUntil) {
			l.pausedUntil = until
		}
	}
	return false
}

// wakeAll wakes the requests waiting for a slot. Call with mu held.
func (l *inflight) wakeAll() {
	close(l.wake)
	l.wake = make(chan struct{})
}

// current is the limit now, for tests and benchmarks.
func (l *inflight) current() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}
