package flyapi

import (
	"container/heap"
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
// round (requests that started before the cut, or before a request sent
// after it was answered, do not cut again) and keeps it below the number
// in flight that drew the 429 for ceilingMemory.
//
// Requests waiting for a slot get one in the order of their place: rank
// (WithRank), then the order they first asked in.
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
	cutAnswered  bool      // a request sent after that cut was answered
	pausedUntil  time.Time // Retry-After of the last 429
	taught       bool      // a 429 set or lowered the ceiling since learned() last said so
	taughtAt     time.Time // of the last 429
	answeredMost int       // the most in flight with a request answered
	asked        uint64    // requests that took a place in line so far
	queue        waitQueue // requests waiting for a slot
}

func newInflight(clk clock.Clock, maxInFlight int) *inflight {
	maxInFlight = max(maxInFlight, 1)
	return &inflight{
		clock: clk, max: float64(maxInFlight),
		limit: float64(min(initialInFlight, maxInFlight)), slowStart: true,
	}
}

// LearnedLimit is what a 429 taught a client of one API's limit on
// requests in flight, for a later client of the same server to start from
// (Config.Learned) instead of finding it again with requests turned away.
type LearnedLimit struct {
	API      string    `json:"api"`       // "machines" or "logs"
	Host     string    `json:"host"`      // of the API's base URL
	InFlight int       `json:"in_flight"` // the fewest in flight a 429 turned away
	At       time.Time `json:"at"`        // of that 429, on the client's clock
}

// learnedMemory is how long a learned limit is where a later client starts:
// past it the client starts low and finds the limit again, as the server's
// limit may have changed.
const learnedMemory = 10 * time.Minute

// startFrom starts the limit just below what a recent 429 turned away and
// holds it there for ceilingMemory, as if the 429 had come now: no slow
// start, so the server sees no request past its limit. A learned limit
// older than learnedMemory is ignored.
func (l *inflight) startFrom(ll LearnedLimit) {
	now := l.clock.Now()
	if ll.InFlight < 1 || ll.At.After(now) || now.Sub(ll.At) > learnedMemory {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ceiling = float64(min(ll.InFlight, int(l.max)+1))
	l.ceilingUntil = now.Add(ceilingMemory)
	l.limit = max(l.ceiling-1, 1)
	l.slowStart = false
}

// learned reports, once, a ceiling a 429 set or lowered since the last call.
func (l *inflight) learned() (inFlight int, at time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.taught {
		return 0, time.Time{}, false
	}
	l.taught = false
	// A request's in flight is counted when it gets its slot, and one given
	// a slot after it may reach the server first: a 429 can name fewer
	// than the server had, and requests answered with more in flight say
	// so. Keep the larger, so the next client does not start below what
	// this one was answered at.
	return max(int(l.ceiling), min(l.answeredMost+1, int(l.max)+1)), l.taughtAt, true
}

// ticket is one admitted request: its place in line and how many were in
// flight with it.
type ticket struct {
	seq      uint64
	inFlight int
}

// place is where a request waits for a slot: by rank (lower first), then
// by the order it first asked in. A request asked again after a 429 keeps
// its place.
type place struct {
	rank  int
	order uint64
}

type rankKey struct{}

// WithRank returns a context whose API requests wait for a slot behind
// those of lower rank: with more requests than the server allows in
// flight, every request of rank 0 is sent before any of rank 1, and so on.
// A reader of many machines' logs ranks each machine's pages by their
// number, so every machine's first page goes before any second page and
// no machine is left with a chain of pages to read at the end. Without a
// rank a request has rank 0; among equals the first to ask goes first.
func WithRank(ctx context.Context, rank int) context.Context {
	return context.WithValue(ctx, rankKey{}, rank)
}

// RankOf is the rank WithRank gave ctx (0 if none).
func RankOf(ctx context.Context) int {
	rank, _ := ctx.Value(rankKey{}).(int)
	return rank
}

// placeFor gives a request its place in line: its context's rank and the
// next order.
func (l *inflight) placeFor(ctx context.Context) place {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked++
	return place{rank: RankOf(ctx), order: l.asked}
}

// waiter is a request waiting in line for a slot.
type waiter struct {
	place
	grant chan bool // true: a slot was taken for it (ticket set); false: a pause began, wait it out
	t     ticket
	index int // in the queue; -1 once out of it
}

// waitQueue is a heap of waiters by place.
type waitQueue []*waiter

func (q waitQueue) Len() int { return len(q) }
func (q waitQueue) Less(i, j int) bool {
	if q[i].rank != q[j].rank {
		return q[i].rank < q[j].rank
	}
	return q[i].order < q[j].order
}
func (q waitQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *waitQueue) Push(x any) {
	w := x.(*waiter)
	w.index = len(*q)
	*q = append(*q, w)
}
func (q *waitQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	w.index = -1
	*q = old[:len(old)-1]
	return w
}

// acquire waits for a slot in line with the context's rank; see acquireAt.
func (l *inflight) acquire(ctx context.Context) (ticket, error) {
	return l.acquireAt(ctx, l.placeFor(ctx))
}

// acquireAt waits at p for a slot (and for a Retry-After pause to end). It
// returns the request's ticket, to hand back to release. Slots go to the
// waiters in the order of their places as they free up.
func (l *inflight) acquireAt(ctx context.Context, p place) (ticket, error) {
	for {
		l.mu.Lock()
		if wait := l.pausedUntil.Sub(l.clock.Now()); wait > 0 {
			l.mu.Unlock()
			if err := l.clock.Sleep(ctx, wait); err != nil {
				return ticket{}, err
			}
			continue
		}
		w := &waiter{place: p, grant: make(chan bool, 1)}
		heap.Push(&l.queue, w)
		l.dispatch()
		l.mu.Unlock()
		select {
		case ok := <-w.grant:
			if !ok {
				continue // a pause began: wait it out, then line up again
			}
			return w.t, nil
		case <-ctx.Done():
			l.mu.Lock()
			if w.index >= 0 {
				heap.Remove(&l.queue, w.index)
			} else if <-w.grant {
				// Granted as the context ended: give the slot to the next.
				l.n--
				l.dispatch()
			}
			l.mu.Unlock()
			return ticket{}, ctx.Err()
		}
	}
}

// dispatch gives free slots to the waiters first in line; during a pause it
// sends every waiter to wait it out. Call with mu held.
func (l *inflight) dispatch() {
	if l.pausedUntil.After(l.clock.Now()) {
		for l.queue.Len() > 0 {
			heap.Pop(&l.queue).(*waiter).grant <- false
		}
		return
	}
	for l.queue.Len() > 0 && l.n < max(int(l.limit), 1) {
		w := heap.Pop(&l.queue).(*waiter)
		l.n++
		l.started++
		w.t = ticket{seq: l.started, inFlight: l.n}
		w.grant <- true
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
	defer l.dispatch()
	l.n--
	now := l.clock.Now()
	switch o {
	case outcomeOK:
		l.answeredMost = max(l.answeredMost, t.inFlight)
		if t.seq > l.cutAt {
			l.cutAnswered = true
		}
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
			l.taught = l.taught || float64(t.inFlight) < l.ceiling
			l.ceiling = min(l.ceiling, float64(t.inFlight))
		} else {
			l.ceiling = float64(t.inFlight)
			l.taught = true
		}
		l.taughtAt = now
		l.ceilingUntil = now.Add(ceilingMemory)
		// Until a request sent after the last cut is answered, a 429 is
		// still of that cut's round: the requests it turned away come back
		// at once and may meet the rest of the round's 429s, which lower
		// the limit through the ceiling (below) as they arrive. Cutting
		// again for them would leave the limit well below the server's.
		if t.seq > l.cutAt && (l.slowStart || l.cutAnswered) {
			if l.slowStart {
				// The first 429 says where the server's limit is: just
				// below this request's in flight (the clamp below).
				l.limit = float64(t.inFlight)
			} else {
				l.limit *= cutFactor
			}
			l.cutAt, l.slowStart, l.cutAnswered = l.started, false, false
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

// current is the limit now, for tests and benchmarks.
func (l *inflight) current() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}
