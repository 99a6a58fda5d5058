package flysim

import (
	"sync"
	"time"
)

// Clock is the simulation's time: start + speed × real time elapsed, plus
// any jumps made with Advance. Every state the simulator reports is a pure
// function of Clock.Now, so a faster clock is a faster incident.
type Clock struct {
	mu     sync.Mutex
	start  time.Time     // simulated time at real0
	real0  time.Time     // real time the clock was made
	speed  float64       // simulated seconds per real second
	jumped time.Duration // total of Advance calls
	real   func() time.Time
}

// NewClock returns a clock that reads start now and runs speed times faster
// than real time. A speed <= 0 means 1.
func NewClock(start time.Time, speed float64) *Clock {
	if speed <= 0 {
		speed = 1
	}
	return &Clock{start: start.UTC(), real0: time.Now(), speed: speed, real: time.Now}
}

// Now returns the current simulated time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	elapsed := time.Duration(float64(c.real().Sub(c.real0)) * c.speed)
	return c.start.Add(c.jumped + elapsed)
}

// Speed returns the speed factor.
func (c *Clock) Speed() float64 { return c.speed }

// Advance jumps simulated time forward by d (negative d is ignored: the
// simulation never runs backwards). Tests use it to reach a moment exactly.
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.jumped += d
	c.mu.Unlock()
}

// RealDuration converts a simulated duration into the real time it takes.
func (c *Clock) RealDuration(sim time.Duration) time.Duration {
	return time.Duration(float64(sim) / c.speed)
}
