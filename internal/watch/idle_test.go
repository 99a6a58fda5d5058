//go:build unix

package watch

import (
	"context"
	"errors"
	"flag"
	"syscall"
	"testing"
	"time"
)

var (
	idleFor  = flag.Duration("idle-for", time.Second, "how long TestIdleCPU watches the healthy scenario")
	idlePoll = flag.Duration("idle-poll", 100*time.Millisecond, "TestIdleCPU's poll interval (watch's default is 10s)")
)

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Idle watching of a healthy app costs little CPU: the process's CPU time
// (the simulated platform included, it runs in-process) over -idle-for.
// Run with -idle-for=20s -idle-poll=10s for the default cadence.
func TestIdleCPU(t *testing.T) {
	r := newRig(t, "healthy")
	rec := &recorder{}
	w := r.watcher(t, "", rec)
	w.cfg.Poll = *idlePoll
	ctx, cancel := context.WithTimeout(context.Background(), *idleFor)
	defer cancel()
	cpu0, wall0 := cpuTime(t), time.Now()
	// The deadline may land mid-request and come back wrapped in its error.
	if err := w.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: %v", err)
	}
	cpu, wall := cpuTime(t)-cpu0, time.Since(wall0)
	polls := int(wall / *idlePoll) + 1
	t.Logf("idle: %s CPU over %s wall (%.2f%%), %d polls every %s, %s CPU per poll",
		cpu, wall.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds(), polls, *idlePoll, cpu/time.Duration(polls))
	if cpu > wall/4 {
		t.Errorf("idle watching used %s CPU in %s", cpu, wall)
	}
	if rec.count() != 0 {
		t.Errorf("healthy app raised %d alerts", rec.count())
	}
}

// BenchmarkPoll is the cost of one idle poll of a healthy app over loopback.
func BenchmarkPoll(b *testing.B) {
	r := newRigB(b, "healthy")
	w, err := New(Config{App: r.sim.App(), Runbook: defaultRunbook(), Fly: r.fly, Now: r.sim.Clock().Now})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := w.poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
