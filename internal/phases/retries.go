package phases

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/journal"
)

// retryLog counts the Fly API's retries since the last note. Each retry
// is shown as it happens (Options.Retried) but not journaled: a flaky API
// retried at every poll of a 5-minute hold would flood the journal. What
// the post-mortem needs is how many, when and why: one note per phase
// (per settle and hold in the smoke walk) says it.
type retryLog struct {
	mu       sync.Mutex
	phase    string         // the phase under way, for the faces
	span     string         // what the next note says the retries happened during
	n, calls int            // retries, and calls retried, since the last note
	reasons  map[string]int // why, with how often
}

// observeRetries returns ctx with the engine listening to the Fly client's
// retries.
func (e *engine) observeRetries(ctx context.Context) context.Context {
	return flyapi.WithRetryObserver(ctx, e.retried)
}

func (e *engine) retried(r flyapi.Retry) {
	l := &e.retries
	l.mu.Lock()
	if !r.Done {
		l.n++
		if r.Attempt == 1 {
			l.calls++
		}
		if l.reasons == nil {
			l.reasons = map[string]int{}
		}
		l.reasons[r.Reason]++
	}
	phase := l.phase
	l.mu.Unlock()
	if e.o.Retried != nil {
		e.o.Retried(phase, r)
	}
}

// retriesDuring starts counting for the next note, which will say the
// retries happened during span.
func (e *engine) retriesDuring(phase, span string) {
	e.retries.mu.Lock()
	e.retries.phase, e.retries.span = phase, span
	e.retries.mu.Unlock()
}

// current is the phase under way.
func (l *retryLog) current() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.phase == "" {
		return journal.PhaseIncident
	}
	return l.phase
}

// noteRetries journals, in phase, how often the API was retried since the
// last note, if it was.
func (e *engine) noteRetries(phase string) error {
	l := &e.retries
	l.mu.Lock()
	n, calls, span, reasons := l.n, l.calls, l.span, l.reasons
	l.n, l.calls, l.reasons = 0, 0, nil
	l.mu.Unlock()
	if n == 0 {
		return nil
	}
	if span == "" {
		span = "phase " + phase
	}
	why := make([]string, 0, len(reasons))
	for r := range reasons {
		why = append(why, r)
	}
	sort.Slice(why, func(i, j int) bool {
		if reasons[why[i]] != reasons[why[j]] {
			return reasons[why[i]] > reasons[why[j]]
		}
		return why[i] < why[j]
	})
	for i, r := range why {
		why[i] = fmt.Sprintf("%s ×%d", r, reasons[r])
	}
	if len(why) > 3 {
		why = append(why[:3], "…")
	}
	return e.emit(phase, journal.Note{Text: fmt.Sprintf("the Fly API was retried %s in %s during %s (%s)",
		times(n), plural(calls, "call"), span, strings.Join(why, ", "))})
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
