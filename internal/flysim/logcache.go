package flysim

import (
	"container/heap"
	"slices"
	"time"
)

// Serving a logs page from the boots as logsBetween does builds every line
// of every machine after the cursor for each page: with 1,000 wedged
// machines an app-wide read of their logs builds and sorts about 120,000
// lines a page, some 1,200 times. So each boot's lines are built once, kept
// sorted, and a page merges the machines' lines from the cursor on, taking
// only as many as it returns. logsBetween stays the definition the cache is
// held to (TestLogPagesMatchDefinition).

// cacheAhead is how far past the time asked for a boot's lines are built,
// so a clock that moves on between pages rarely rebuilds them. Lines past
// the time asked for are never returned.
const cacheAhead = 10 * time.Minute

// bootLog is one boot's lines, sorted, as logsBetween builds them for a
// boot ending at end (zero: not ended), up to horizon.
type bootLog struct {
	b       boot
	end     time.Time
	horizon time.Time
	lines   []logEntry
}

// logCache holds each machine's boot logs, by machine id; guarded by the
// server's mu.
type logCache map[string][]*bootLog

// boots returns the machine's boots as logsBetween reads them, each with
// the moment it ends (zero if never).
func (m *machine) bootSpans() (bs []boot, ends []time.Time) {
	if m.kind != "" {
		// One boot long ago; resting machines stopped after it.
		end := m.stoppedAt()
		if m.kind == kindConsole {
			end = time.Time{}
		}
		return m.boots[:1], []time.Time{end}
	}
	ends = make([]time.Time, len(m.boots))
	for i := range m.boots {
		if i+1 < len(m.boots) {
			ends[i] = m.boots[i+1].at
		}
	}
	return m.boots, ends
}

// machineLogs returns the machine's boot logs, each valid through to at
// least. A boot whose lines were built for another boot or end (a deploy
// added or withdrew a boot) is built again.
func (s *Server) machineLogs(m *machine, to time.Time) []*bootLog {
	if s.logs == nil {
		s.logs = logCache{}
	}
	bs, ends := m.bootSpans()
	cached := s.logs[m.id]
	if len(cached) != len(bs) {
		cached = slices.Grow(cached[:0:0], len(bs))[:len(bs)]
		copy(cached, s.logs[m.id])
	}
	for i, b := range bs {
		c := cached[i]
		if c == nil || c.b != b || !c.end.Equal(ends[i]) {
			c = &bootLog{b: b, end: ends[i]}
			cached[i] = c
		}
		if c.horizon.IsZero() || c.horizon.Before(to) {
			// The lines in (horizon, to+cacheAhead] all come after those
			// already kept, so they are sorted and appended.
			horizon := to.Add(cacheAhead)
			more := m.bootLogs(nil, b, ends[i], s.app, c.horizon, horizon)
			slices.SortFunc(more, func(x, y logEntry) int { return x.ts.Compare(y.ts) })
			c.lines, c.horizon = append(c.lines, more...), horizon
		}
	}
	s.logs[m.id] = cached
	return cached
}

// logsPage returns the first n log lines of the app (of one machine when
// instance is set, of one region when region is) with from < ts <= to,
// oldest first: the first n of logsBetween, filtered.
func (s *Server) logsPage(from, to time.Time, instance, region string, n int) []logEntry {
	var h cursors
	for _, m := range s.machines {
		if (instance != "" && m.id != instance) || (region != "" && m.region != region) {
			continue
		}
		for _, bl := range s.machineLogs(m, to) {
			i, _ := slices.BinarySearchFunc(bl.lines, from, func(e logEntry, t time.Time) int {
				if e.ts.After(t) {
					return 1
				}
				return -1
			})
			if i < len(bl.lines) && !bl.lines[i].ts.After(to) {
				h = append(h, cursor{lines: bl.lines[i:], order: len(h)})
			}
		}
	}
	heap.Init(&h)
	var out []logEntry
	for len(h) > 0 && len(out) < n {
		c := &h[0]
		out = append(out, c.lines[0])
		c.lines = c.lines[1:]
		if len(c.lines) == 0 || c.lines[0].ts.After(to) {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return out
}

// cursor is where a page's merge stands in one boot's lines.
type cursor struct {
	lines []logEntry
	order int // machine and boot order, to break ties the same way every time
}

// cursors is a min-heap of cursors by their next line's time.
type cursors []cursor

func (h cursors) Len() int { return len(h) }
func (h cursors) Less(i, j int) bool {
	if c := h[i].lines[0].ts.Compare(h[j].lines[0].ts); c != 0 {
		return c < 0
	}
	return h[i].order < h[j].order
}
func (h cursors) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursors) Push(x any)   { *h = append(*h, x.(cursor)) }
func (h *cursors) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
