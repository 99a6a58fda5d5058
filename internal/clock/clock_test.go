package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
)

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []clock.Clock{clock.Wall, clock.Scaled(time.Now, 10), clock.NewManual(time.Unix(0, 0))} {
		if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("%T: Sleep on an ended context = %v, want context.Canceled", c, err)
		}
	}
}

// A scaled clock waits d/speed of real time: an hour at 3.6e6× is a millisecond.
func TestScaledWaitsTheScaledDuration(t *testing.T) {
	began := time.Now()
	if err := clock.Scaled(time.Now, 3.6e6).Sleep(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < time.Millisecond || took > 5*time.Second {
		t.Errorf("an hour at 3.6e6× took %s of real time, want about 1ms", took)
	}
}

func TestManualMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	m := clock.NewManual(start)
	began := time.Now()
	if err := m.Sleep(context.Background(), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	m.Advance(-time.Hour) // ignored: time never runs backwards
	m.Advance(time.Second)
	if got, want := m.Now(), start.Add(5*time.Minute+time.Second); !got.Equal(want) {
		t.Errorf("Now = %s, want %s", got, want)
	}
	if m.Slept() != 5*time.Minute {
		t.Errorf("Slept = %s, want 5m", m.Slept())
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("a manual 5-minute sleep took %s of real time", took)
	}
}
