// Package clock is the time jpops runs on: the wall clock in live work, the
// simulator's faster clock in drills, a manual one in tests. Every wait of
// the engine and of the Fly API client goes through one, so a drill at any
// speed and a test of a 5-minute hold never wait a simulated duration on the
// wall clock.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits on it.
type Clock interface {
	Now() time.Time
	// Sleep waits d of this clock's time, or until ctx ends (its error).
	Sleep(ctx context.Context, d time.Duration) error
}

// Wall is real time.
var Wall Clock = wall{}

type wall struct{}

func (wall) Now() time.Time                                   { return time.Now() }
func (wall) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Sleep waits d of real time, or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Scaled is a clock that runs speed times faster than real time: now reads
// it (a simulator's clock) and a wait of d takes d/speed of real time. A
// speed <= 0 means 1.
func Scaled(now func() time.Time, speed float64) Clock {
	if speed <= 0 {
		speed = 1
	}
	return scaled{now: now, speed: speed}
}

type scaled struct {
	now   func() time.Time
	speed float64
}

func (s scaled) Now() time.Time { return s.now() }
func (s scaled) Sleep(ctx context.Context, d time.Duration) error {
	return Sleep(ctx, time.Duration(float64(d)/s.speed))
}

// Manual is a clock that moves only when told: Sleep advances it by d at
// once, so a test of a long wait takes no real time. Safe for concurrent use.
type Manual struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

// NewManual returns a manual clock reading t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t
}

// Sleep advances the clock by d (if ctx is still live) and returns at once.
func (m *Manual) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.Advance(d)
	m.mu.Lock()
	m.slept += max(d, 0)
	m.mu.Unlock()
	return nil
}

// Advance moves the clock forward by d; a negative d is ignored.
func (m *Manual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	m.mu.Lock()
	m.t = m.t.Add(d)
	m.mu.Unlock()
}

// Slept is the total of the waits asked of Sleep.
func (m *Manual) Slept() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.slept
}
