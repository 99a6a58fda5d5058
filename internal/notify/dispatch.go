package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
)

// Options tune a Dispatcher; zero values take the defaults.
type Options struct {
	Attempts int             // tries per alert and notifier; default 3
	Backoff  []time.Duration // wait before retry n (last one repeats); default 1s, 2s, 4s
	Timeout  time.Duration   // per attempt; default 10s
	Buffer   int             // alerts queued per notifier; default 32
	// OnError hears every alert a notifier gave up on, and every drop.
	// Calls are serialised; keep it quick.
	OnError func(notifier string, err error)
}

func (opts Options) withDefaults() Options {
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if len(opts.Backoff) == 0 {
		opts.Backoff = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 32
	}
	return opts
}

// ErrDropped is reported through OnError when a notifier's queue was full
// and its oldest alert was dropped to make room.
var ErrDropped = errors.New("queue full: oldest alert dropped")

// Dispatcher fans alerts out to notifiers. Each notifier has its own queue
// and worker, so a slow or failing one delays neither the others nor the
// caller: Send never blocks.
type Dispatcher struct {
	opts    Options
	workers []*worker
	ctx     context.Context // cancelled when Close gives up waiting
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errMu   sync.Mutex
	mu      sync.Mutex
	closed  bool
	dropped atomic.Int64
}

type worker struct {
	n       Notifier
	queue   chan Alert
	dropped atomic.Int64 // drops not yet reported
}

// NewDispatcher starts one worker per notifier.
func NewDispatcher(opts Options, notifiers ...Notifier) *Dispatcher {
	d := &Dispatcher{opts: opts.withDefaults()}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, n := range notifiers {
		w := &worker{n: n, queue: make(chan Alert, d.opts.Buffer)}
		d.workers = append(d.workers, w)
		d.wg.Add(1)
		go d.run(w)
	}
	return d
}

// Send queues a for every notifier and returns at once. When a queue is
// full its oldest alert is dropped, counted and reported. Send after Close
// is a no-op.
func (d *Dispatcher) Send(a Alert) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	for _, w := range d.workers {
		for {
			select {
			case w.queue <- a:
			default:
				select {
				case <-w.queue:
					// Reported by the worker, so that a slow OnError never
					// blocks the caller.
					d.dropped.Add(1)
					w.dropped.Add(1)
				default:
				}
				continue
			}
			break
		}
	}
}

// Dropped is how many queued alerts were dropped because a queue was full.
func (d *Dispatcher) Dropped() int64 { return d.dropped.Load() }

// Close stops taking alerts and waits for the queues to drain. If ctx ends
// first, in-flight attempts are cancelled and Close returns ctx's error.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		for _, w := range d.workers {
			close(w.queue)
		}
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		<-done
		return fmt.Errorf("notify: gave up delivering queued alerts: %w", ctx.Err())
	}
}

func (d *Dispatcher) run(w *worker) {
	defer d.wg.Done()
	defer d.reportDrops(w)
	for a := range w.queue {
		d.reportDrops(w)
		if d.ctx.Err() != nil {
			continue // Close gave up: drain without sending
		}
		if err := d.deliver(w.n, a); err != nil {
			d.report(w.n.Name(), err)
		}
	}
}

func (d *Dispatcher) reportDrops(w *worker) {
	if n := w.dropped.Swap(0); n > 0 {
		d.report(w.n.Name(), fmt.Errorf("%w (%d alert(s))", ErrDropped, n))
	}
}

// deliver tries a notifier up to Attempts times with backoff between tries.
func (d *Dispatcher) deliver(n Notifier, a Alert) error {
	return Deliver(d.ctx, n, a, d.opts)
}

// Deliver sends a through n, trying up to opts.Attempts times with backoff
// between tries, and returns nil only when n confirmed delivery. It stops
// early on a permanent error or when ctx ends.
func Deliver(ctx context.Context, n Notifier, a Alert, opts Options) error {
	opts = opts.withDefaults()
	var err error
	tries := 0
	for attempt := 0; attempt < opts.Attempts; attempt++ {
		if attempt > 0 {
			wait := opts.Backoff[min(attempt-1, len(opts.Backoff)-1)]
			if clock.Sleep(ctx, wait) != nil {
				return fmt.Errorf("not delivered, stopped after %d attempt(s): %w", tries, err)
			}
		}
		actx, cancel := context.WithTimeout(ctx, opts.Timeout)
		err = n.Notify(actx, a)
		cancel()
		tries++
		var perm *PermanentError
		if err == nil || errors.As(err, &perm) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("gave up after %d attempt(s): %w", tries, err)
	}
	return nil
}

func (d *Dispatcher) report(name string, err error) {
	if d.opts.OnError == nil {
		return
	}
	d.errMu.Lock()
	defer d.errMu.Unlock()
	d.opts.OnError(name, err)
}
