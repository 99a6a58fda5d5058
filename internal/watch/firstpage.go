package watch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/notify"
)

// PagesUntilHung runs the watchdog from now until it pages a hung boot op,
// handing every page it delivers on the way to onPage, that one last (an
// error from onPage fails the delivery, which the watchdog retries): a replay
// drill lets the watchdog find the outage as one left running would have,
// and the walk answers the page that names the hung op. (An earlier page
// may name only the checks signature: the op is then short of hang_after,
// and a walk would find the hang unconfirmed.) cfg.Notifiers are replaced
// by one that takes the pages; the rest of cfg is as for New.
func PagesUntilHung(ctx context.Context, cfg Config, onPage func(notify.Alert) error) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	pager := &pageTaker{stop: stop, onPage: onPage}
	cfg.Notifiers = []notify.Notifier{pager}
	cfg.Deliver = func(ctx context.Context, n notify.Notifier, a notify.Alert) error { return n.Notify(ctx, a) }
	w, err := New(cfg)
	if err != nil {
		return err
	}
	err = w.Run(ctx)
	if pager.paged() {
		return nil
	}
	if err == nil || errors.Is(err, context.Canceled) {
		err = ctx.Err()
	}
	return err
}

// pageTaker is the notifier of PagesUntilHung: it keeps the pages and ends
// the watch at the first that names a hung boot op.
type pageTaker struct {
	stop   context.CancelFunc
	onPage func(notify.Alert) error
	mu     sync.Mutex
	hung   bool
}

func (p *pageTaker) Name() string { return "replay" }

func (p *pageTaker) Notify(_ context.Context, a notify.Alert) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hung {
		return nil
	}
	if err := p.onPage(a); err != nil {
		return err
	}
	for _, w := range a.Wedged {
		if w.Op != OpChecks {
			p.hung = true
			p.stop()
			break
		}
	}
	return nil
}

func (p *pageTaker) paged() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hung
}

// PageEvent is a page as the incident journal of mode keeps it.
func PageEvent(a notify.Alert, mode string) journal.Event {
	return journal.Event{Phase: journal.PhaseIncident, Kind: journal.KindPage, Mode: mode, Data: journalPage(a)}
}

func journalPage(a notify.Alert) journal.Page {
	p := journal.Page{By: "jpops watch", Op: a.Op, Text: a.Message()}
	if !a.Since.IsZero() {
		p.Since = a.Since.UTC().Format(time.RFC3339)
	}
	for _, w := range a.Wedged { // one wedge per machine and op
		if !slices.Contains(p.Machines, w.Machine) {
			p.Machines = append(p.Machines, w.Machine)
		}
	}
	if len(p.Machines) == 0 && a.Machine != "" {
		p.Machines = []string{a.Machine}
	}
	return p
}
