package cli

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/runbook"
)

// drillPlatform is a drill's simulated platform, serving on loopback, with
// the deploy directory the drill deploys from. Its state is saved beside
// the incident's journal while it runs, so jpops resume can pick the drill
// up where it was, platform included.
type drillPlatform struct {
	sim   *flysim.Server
	url   string
	token string
	dir   string
	speed float64

	// Set by configure: the walk's clock (the simulator's) and API client.
	clk clock.Clock
	fly *flyapi.HTTPClient

	saveTo string
	stop   chan struct{}
	saved  sync.WaitGroup
}

// simStatePath is where a drill's platform is saved: beside its journal.
func simStatePath(journalPath string) string {
	return strings.TrimSuffix(journalPath, journal.Ext) + ".sim.json"
}

// startDrillPlatform serves sim and lays out the deploy directory.
func startDrillPlatform(sim *flysim.Server, token string, speed float64) (*drillPlatform, error) {
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the simulated platform: %w", err)
	}
	dir, err := os.MkdirTemp("", "jpops-drill-")
	if err != nil {
		sim.Close()
		return nil, err
	}
	if err := writeDrillDir(dir, sim.App()); err != nil {
		sim.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &drillPlatform{sim: sim, url: url, token: token, dir: dir, speed: speed}, nil
}

// restoreDrillPlatform brings back the platform of the drill whose journal
// is at journalPath, as it was when that drill stopped.
func restoreDrillPlatform(journalPath string) (*drillPlatform, error) {
	st, err := flysim.LoadState(simStatePath(journalPath))
	if err != nil {
		return nil, fmt.Errorf("this drill's simulated platform cannot be brought back (%w); start a new one with jpops drill", err)
	}
	token := "flysim-" + randomHex(12)
	sim, err := flysim.Restore(st, token)
	if err != nil {
		return nil, fmt.Errorf("this drill's simulated platform cannot be brought back (%w); start a new one with jpops drill", err)
	}
	p, err := startDrillPlatform(sim, token, st.Speed)
	if err != nil {
		return nil, err
	}
	p.persist(journalPath)
	return p, nil
}

// scenario is the scenario the platform plays.
func (p *drillPlatform) scenario() string { return p.sim.State().Scenario }

// configure points the walk at the platform. Durations are simulated time,
// except holdReal (--hold), which drills have always read as real time.
func (p *drillPlatform) configure(o *phases.Options, rb *runbook.Runbook, holdReal, settle time.Duration) error {
	// One clock for the walk and the client: the simulator's, so every
	// wait (settle, hold, retry backoff) is simulated time.
	clk := clock.Scaled(p.sim.Clock().Now, p.speed)
	fly, err := flyapi.New(flyapi.Config{MachinesBaseURL: p.url, LogsBaseURL: p.url, Token: p.token, UserAgent: "jpops-drill", Clock: clk})
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the jpops binary for the stand-in flyctl: %w", err)
	}
	simulated := func(real time.Duration) time.Duration { return time.Duration(float64(real) * p.speed) }
	p.clk, p.fly = clk, fly
	o.Runbook, o.Fly, o.Dir = rb, fly, p.dir
	o.Now, o.Sleep = clk.Now, clk.Sleep
	o.SmokeURL = p.url + "/app"
	o.Flyctl = []string{self, "sim", "flyctl"}
	o.FlyctlEnv = drillEnv(os.Environ(), p.url, p.token)
	o.Hold = rb.Smoke.Hold.Duration
	if holdReal > 0 {
		o.Hold = simulated(holdReal)
	}
	o.Interval = max(rb.Smoke.Interval.Duration, simulated(50*time.Millisecond))
	o.Settle = settle
	return nil
}

// persist saves the platform beside the journal now and every half second
// until close, so even a killed drill can be resumed close to where it was.
func (p *drillPlatform) persist(journalPath string) {
	p.saveTo = simStatePath(journalPath)
	p.stop = make(chan struct{})
	_ = flysim.SaveState(p.saveTo, p.sim.State())
	p.saved.Add(1)
	go func() {
		defer p.saved.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				_ = flysim.SaveState(p.saveTo, p.sim.State())
			}
		}
	}()
}

// rehearseInterrupt stops the walk the way Ctrl-C does once the rollout has
// replaced a machine, when the scenario asks for it.
func (p *drillPlatform) rehearseInterrupt(done <-chan struct{}, interrupt func()) {
	if !flysim.InterruptsMidRollout(p.scenario()) {
		return
	}
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if p.sim.Replaced() > 0 {
					interrupt()
					return
				}
			}
		}
	}()
}

// close saves the platform a last time and stops it.
func (p *drillPlatform) close() {
	if p.stop != nil {
		close(p.stop)
		p.saved.Wait()
		_ = flysim.SaveState(p.saveTo, p.sim.State())
	}
	p.sim.Close()
	os.RemoveAll(p.dir)
}
