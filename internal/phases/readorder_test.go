package phases_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyapi/flyapitest"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// Every signature machine's logs are asked for at once (the API client, not
// the diagnosis, bounds the requests in flight and orders them), and in a
// small fleet each page ranks by its number, so the client sends every
// machine's first page before any second: a fleet larger than the client's
// limit leaves no machine starting late with all its pages to read.
func TestDiagnoseAsksEveryMachineAtOnceByPage(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	r.sim.Grow(24) // more than the 16 machines that were read at once before
	ids := r.sim.MachineIDs()
	fly := flyapitest.Wrap(r.opts.Fly.(flyapi.Client))
	real := fly.GetLogsFunc
	var mu sync.Mutex
	pages := map[string]int{}   // pages asked for, by machine
	ranks := map[string][]int{} // their ranks, by machine
	var badRank []string
	allAsked := make(chan struct{})
	fly.GetLogsFunc = func(ctx context.Context, app string, q flyapi.LogQuery) (flyapi.LogPage, error) {
		mu.Lock()
		page := pages[q.Instance]
		pages[q.Instance]++
		ranks[q.Instance] = append(ranks[q.Instance], flyapi.RankOf(ctx))
		if page == 0 && len(pages) == len(ids) {
			close(allAsked)
		}
		mu.Unlock()
		if page == 0 {
			// A first page is answered once every machine has asked for
			// its own: with machines read a few at a time, the rest never
			// would.
			select {
			case <-allAsked:
			case <-time.After(10 * time.Second):
				mu.Lock()
				t.Errorf("first pages asked for by %d of %d machines at once, want all", len(pages), len(ids))
				mu.Unlock()
				return flyapi.LogPage{}, context.DeadlineExceeded
			}
		}
		return real(ctx, app, q)
	}
	r.opts.Fly = fly
	d, err := phases.Diagnose(r.ctx(), r.opts)
	if err != nil {
		t.Fatal(err)
	}
	if d.Verdict != verdict.HangConfirmed || len(d.Unread) != 0 {
		t.Fatalf("verdict %s with %d unread (%s), want HANG_CONFIRMED with every machine read", d.Verdict, len(d.Unread), d.Reason)
	}
	mu.Lock()
	defer mu.Unlock()
	// A small fleet: every machine's first page ranks before any second,
	// and a machine's pages rank in their order.
	lowestSecond := -1
	highestFirst := -1
	for id, rs := range ranks {
		highestFirst = max(highestFirst, rs[0])
		for i := 1; i < len(rs); i++ {
			if lowestSecond < 0 || rs[i] < lowestSecond {
				lowestSecond = rs[i]
			}
			if rs[i] <= rs[i-1] {
				badRank = append(badRank, id)
			}
		}
	}
	if highestFirst >= lowestSecond {
		t.Errorf("a first page ranks %d, a second page %d: want every first page first", highestFirst, lowestSecond)
	}
	if len(badRank) > 0 {
		t.Errorf("pages of %v ranked out of their order", badRank)
	}
	for _, id := range ids {
		if pages[id] < 2 {
			t.Errorf("machine %s: %d pages asked for, want at least 2 (its lines, then caught up)", id, pages[id])
		}
	}
}
