package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/runbook"
)

// Factory carries what commands need from the process and builds the
// expensive parts (the Fly client, the runbook, the state directory) only
// when a command asks for them. Commands copy what they use into their
// Options, so a test sets a field here, or on the Options, and nothing else.
type Factory struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	// LookupEnv tells a variable set to "" from one unset, which decides
	// the token as flyctl does; nil reads Getenv, where "" is unset.
	LookupEnv func(string) (string, bool)
	Now       func() time.Time // the clock every command reads
	Home      string

	// Signals starts delivering SIGINT, SIGTERM and SIGHUP to the channel
	// it returns; Main calls it once, for a command that can run long
	// enough to be stopped (not version, help or completion: asking the
	// runtime for signals starts threads, a third of a bare start's CPU).
	// The first signal cancels the command's context unless a command has
	// taken interrupts over (the escape deploy forwards them to flyctl
	// instead); a later one with nobody listening makes Main return 130 at
	// once. nil: no signals are caught.
	Signals func() <-chan os.Signal
	// StopBound is how long a command may take to stop after the first
	// signal before Main returns 130 anyway; 0 is DefaultStopBound.
	StopBound time.Duration

	// Set by the root command's persistent flags before any command runs.
	Token       string // -t/--access-token
	RunbookPath string // --runbook

	// FlyClient builds the Fly API client from --access-token and the
	// environment. Depends on Token, Getenv and Home.
	FlyClient func() (*flyapi.HTTPClient, error)
	// Runbook loads --runbook, or the embedded runbook; a bad file is a
	// usage error (exit 2). Depends on RunbookPath.
	Runbook func() (*runbook.Runbook, error)
	// StateDir finds and creates the state directory. Depends on Getenv and Home.
	StateDir func() (string, error)

	mu          sync.Mutex
	onInterrupt func()
	onHangup    func()
}

// NewFactory wires a factory to io and the process environment. Fields may
// be replaced before the command runs (tests do); the lazy builders read
// them when called.
func NewFactory(io *iostreams.IOStreams) *Factory {
	f := &Factory{IO: io, Getenv: os.Getenv, LookupEnv: os.LookupEnv, Now: time.Now}
	f.Home, _ = os.UserHomeDir()
	f.FlyClient = func() (*flyapi.HTTPClient, error) {
		cfg, src, err := flyapi.ConfigFromLookup(f.lookupEnv, f.Token, f.Home)
		if err != nil {
			return nil, err
		}
		cfg.Token, _ = refreshedToken(cfg.Token, src, f.Getenv)
		if dir, err := state.Dir(f.Getenv, f.Home); err == nil {
			cfg.Learned, cfg.OnLearn = learnedLimits(filepath.Join(dir, apiLimitsFile))
		}
		return flyapi.New(cfg)
	}
	f.Runbook = func() (*runbook.Runbook, error) { return loadRunbook(f.RunbookPath) }
	f.StateDir = func() (string, error) {
		dir, err := state.Dir(f.Getenv, f.Home)
		if err != nil {
			return "", err
		}
		if err := state.Ensure(dir); err != nil {
			return "", err
		}
		return dir, nil
	}
	return f
}

// apiLimitsFile, in the state directory, keeps what 429s taught the Fly
// client of each API's limit on requests in flight, so the next command
// starts below it instead of finding it again with requests turned away.
const apiLimitsFile = "api-limits.json"

// maxKeptLimits bounds the file: two APIs of a few hosts, the newest kept.
const maxKeptLimits = 16

// learnedLimits reads the limits kept at path and returns them with the
// hook that keeps newly learned ones there. The file only saves the server
// a few 429s: one that cannot be read or written is passed over.
func learnedLimits(path string) ([]flyapi.LearnedLimit, func(flyapi.LearnedLimit)) {
	var kept struct {
		Limits []flyapi.LearnedLimit `json:"limits"`
	}
	if state.LoadJSON(path, &kept) != nil {
		kept.Limits = nil
	}
	var mu sync.Mutex
	learned := slices.Clone(kept.Limits)
	return kept.Limits, func(ll flyapi.LearnedLimit) {
		mu.Lock()
		defer mu.Unlock()
		learned = slices.DeleteFunc(learned, func(o flyapi.LearnedLimit) bool { return o.API == ll.API && o.Host == ll.Host })
		learned = append(learned, ll)
		if len(learned) > maxKeptLimits {
			learned = learned[len(learned)-maxKeptLimits:]
		}
		kept.Limits = learned
		_ = state.SaveJSON(path, kept)
	}
}

// takeInterrupts routes every interrupt to fn until the returned func is called.
func (f *Factory) takeInterrupts(fn func()) (release func()) {
	f.mu.Lock()
	f.onInterrupt = fn
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.onInterrupt = nil
		f.mu.Unlock()
	}
}

// takeHangups routes every SIGHUP (the terminal went away) to fn until the
// returned func is called. Without a taker a hang-up is an interrupt.
func (f *Factory) takeHangups(fn func()) (release func()) {
	f.mu.Lock()
	f.onHangup = fn
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.onHangup = nil
		f.mu.Unlock()
	}
}

// DefaultStopBound bounds the time from the first SIGINT or SIGTERM to the
// end of any command: flyctl's group gets SIGINT and, 10 s later, SIGKILL
// (flyctl.DefaultKillGrace); its pipes get 2 s to drain; the rest is the
// margin to journal how it ended. See docs/reliability.md.
const DefaultStopBound = 20 * time.Second

// watchSignals cancels the command on the first interrupt (or hands it to
// whoever took interrupts over) and closes giveUp on a second one nobody
// listens for, until ctx ends.
func (f *Factory) watchSignals(ctx context.Context, signals <-chan os.Signal, cancel context.CancelFunc, giveUp chan<- struct{}, ended <-chan struct{}) {
	cancelled := false
	var quit sync.Once
	giveUpNow := func() { quit.Do(func() { close(giveUp) }) }
	bound := f.StopBound
	if bound <= 0 {
		bound = DefaultStopBound
	}
	var bounded bool
	// Once a stop is asked for, a command that has not ended within the
	// bound (a read that ignores its context, a child that outlived its
	// kill) no longer holds the operator: Main returns 130.
	startBound := func() {
		if bounded {
			return
		}
		bounded = true
		time.AfterFunc(bound, func() {
			select {
			case <-ended:
				return
			default:
			}
			fmt.Fprintf(f.IO.ErrOut, "jpops: still stopping %s after the signal; exiting now (every journal event is already on disk)\n", bound)
			giveUpNow()
		})
	}
	for {
		select {
		case <-ctx.Done():
			if !cancelled {
				return
			}
		case sig, ok := <-signals:
			if !ok {
				return
			}
			f.mu.Lock()
			fn, hangup := f.onInterrupt, f.onHangup
			f.mu.Unlock()
			switch {
			case sig == syscall.SIGHUP && hangup != nil:
				hangup()
			case fn != nil:
				startBound()
				fn()
			case !cancelled:
				cancelled = true
				startBound()
				cancel()
			default:
				fmt.Fprintln(f.IO.ErrOut, "jpops: interrupted again; exiting now")
				giveUpNow()
				return
			}
		}
	}
}

// loadRunbook loads the runbook file at path, or the embedded runbook for
// "". A bad file is a usage error (exit 2) the help would not fix.
func loadRunbook(path string) (*runbook.Runbook, error) {
	rb, err := runbook.Load(path)
	if err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
	return rb, nil
}

// lookupEnv reads Getenv, and LookupEnv only to tell "set to empty" from
// unset, so a test that replaces Getenv sees its own environment.
func (f *Factory) lookupEnv(k string) (string, bool) {
	v := f.Getenv(k)
	if v != "" || f.LookupEnv == nil {
		return v, v != ""
	}
	_, set := f.LookupEnv(k)
	return "", set
}

// refreshedToken is the token flyctl would use when tok comes from its
// config file: flyctl prunes and refreshes that file's tokens before every
// command, so the stored one can be stale where flyctl works. Any other
// source, or no flyctl, leaves tok as it is.
func refreshedToken(tok string, src flyapi.TokenSource, getenv func(string) string) (string, bool) {
	if !src.FromFile() {
		return tok, false
	}
	path, err := flyctl.Find("", getenv, exec.LookPath)
	if err != nil {
		return tok, false
	}
	fresh, err := flyctl.AuthToken(context.Background(), []string{path}, os.Environ())
	if err != nil {
		return tok, false
	}
	return flyapi.StripScheme(fresh), true
}
