package flyctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jpops-dev/jpops/internal/redact"
)

// Streams a Line comes from.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// TailLines is how many of the last lines Result.Tail keeps.
const TailLines = 40

// DefaultKillGrace is how long a stopped child gets between SIGINT and
// SIGKILL when Spec.KillGrace is zero.
const DefaultKillGrace = 10 * time.Second

// drainGrace bounds the wait for the output pipes to close once the group
// is gone: a process that left the group (setsid) may hold them forever.
var drainGrace = 2 * time.Second

// Line is one redacted line of the child's output.
type Line struct {
	Stream string    // Stdout or Stderr
	Text   string    // sanitized and redacted
	At     time.Time // when the line was read
}

// Spec says what to run and how to supervise it.
type Spec struct {
	// Argv is the program and its arguments, e.g. [/usr/local/bin/flyctl
	// deploy --remote-only --strategy rolling -a APP], possibly behind a
	// wrapper ([/path/jpops sim flyctl deploy …]). Argv[0] should be
	// absolute (Find returns one): a relative path resolves against Dir.
	Argv []string
	// Dir is the working directory (the deploy directory); "" = current.
	Dir string
	// Env is the child's environment; nil = this process's. Values of
	// secret-named variables in it are redacted from the output too.
	Env []string
	// IdleTimeout stops a child silent on both streams that long; 0 = never.
	IdleTimeout time.Duration
	// Timeout stops a child still running after that long; 0 = never.
	Timeout time.Duration
	// KillGrace is the time between SIGINT and SIGKILL; 0 = DefaultKillGrace.
	KillGrace time.Duration
	// Redactor masks secrets in every line; nil = redact.Default.
	Redactor *redact.Redactor
	// Interrupt escalates by hand: the first receive sends SIGINT to the
	// group and SIGKILL KillGrace later, the second SIGKILL at once. Send on
	// it; closing it counts once.
	Interrupt <-chan struct{}
	// OnStart, if set, is called with the child's pid once it runs.
	OnStart func(pid int)
	// Now tells Result.Duration on the caller's clock (a drill's simulated
	// one), so the error agrees with the journal's times; nil = the wall
	// clock. The timeouts stay on the wall clock: the child is a real process.
	Now func() time.Time
}

// Result is what happened to the child and what its output said.
type Result struct {
	ExitCode    int           // -1 when it never started or died by a signal
	Image       string        // from `image: REF`, the last one seen
	Digest      string        // sha256:<64 hex>, from the strongest digest line seen
	Tail        []Line        // the last TailLines lines
	Duration    time.Duration // from start to exit
	Signaled    bool          // the child died by a signal
	TimedOut    bool          // stopped at Spec.Timeout
	Idle        bool          // stopped after Spec.IdleTimeout of silence
	Interrupted bool          // ctx was cancelled or Spec.Interrupt received
}

// Run runs spec.Argv, calls onLine (may be nil) for every output line, and
// returns when the child has exited and no process of its group is left.
// onLine runs on Run's goroutine, one line at a time, in order per stream;
// a slow onLine slows the child down rather than growing memory, and the
// timers and interrupts wait for it, so it must not block for long. The error
// is an *Error for a start failure, a non-zero exit, death by a signal, an
// idle or overall timeout, or an interrupt the child did not survive with
// exit 0; it unwraps to the cause (ctx.Err() for an interrupt).
func Run(ctx context.Context, spec Spec, onLine func(Line)) (Result, error) {
	res := Result{ExitCode: -1}
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return res, newError(spec, res, ReasonStart, errors.New("no command to run"))
	}
	if err := ctx.Err(); err != nil {
		// Never start a production deploy for a caller that already gave up.
		return res, newError(spec, res, ReasonInterrupted, err)
	}
	if spec.Dir != "" {
		if st, err := os.Stat(spec.Dir); err != nil {
			return res, newError(spec, res, ReasonStart, fmt.Errorf("%w: %w", errBadDir, err))
		} else if !st.IsDir() {
			return res, newError(spec, res, ReasonStart, fmt.Errorf("%w: %s is not a directory", errBadDir, spec.Dir))
		}
	}
	grace := spec.KillGrace
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	clean := redactorFor(spec)

	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	ownGroup(cmd) // stdin stays nil: the null device
	outR, outW, err := os.Pipe()
	if err != nil {
		return res, newError(spec, res, ReasonStart, fmt.Errorf("create output pipe: %w", err))
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return res, newError(spec, res, ReasonStart, fmt.Errorf("create output pipe: %w", err))
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	now := spec.Now
	if now == nil {
		now = time.Now
	}
	start, told := time.Now(), now()
	err = cmd.Start()
	outW.Close() // the child has its own copies; ours would keep the pipes open
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return res, newError(spec, res, ReasonStart, err)
	}
	pid := cmd.Process.Pid
	child := watch(cmd)

	done := make(chan struct{}) // closed on the way out: readers stop sending
	lines := make(chan Line, 16)
	var lastRead atomic.Int64 // time.Since(start) of the last byte read, for idleness
	var readers sync.WaitGroup
	for _, p := range []struct {
		f      *os.File
		stream string
	}{{outR, Stdout}, {errR, Stderr}} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			readStream(p.f, p.stream, clean, lines, done, func() { lastRead.Store(int64(time.Since(start))) })
		}()
	}
	// lines closes once both readers are done, so every line they sent is
	// received before Run returns.
	go func() { readers.Wait(); close(lines) }()
	linesC := (<-chan Line)(lines)

	reaped := false
	defer func() {
		// Also on panic: nothing of the group may outlive Run.
		if !reaped {
			_ = signalGroup(pid, syscall.SIGKILL)
			_ = child.reap()
		}
		close(done)
		outR.Close()
		errR.Close()
	}()
	if spec.OnStart != nil {
		spec.OnStart(pid)
	}

	rank := 0
	handle := func(l Line) {
		res.Tail = appendTail(res.Tail, l)
		if img, ok := ParseImage(l.Text); ok {
			res.Image = img
		}
		if d, r := parseDigest(l.Text); r > 0 && r >= rank {
			res.Digest, rank = d, r
		}
		if onLine != nil {
			onLine(l)
		}
	}

	var (
		ctxDone    = ctx.Done()
		interrupt  = spec.Interrupt
		interrupts int
		cause      error
		stopping   bool
		killC      <-chan time.Time
		timeoutC   <-chan time.Time
		idleC      <-chan time.Time
	)
	if spec.Timeout > 0 {
		t := time.NewTimer(spec.Timeout)
		defer t.Stop()
		timeoutC = t.C
	}
	var idle *time.Timer
	if spec.IdleTimeout > 0 {
		idle = time.NewTimer(spec.IdleTimeout)
		defer idle.Stop()
		idleC = idle.C
	}
	// stop asks the group to end (SIGINT) and arms the SIGKILL.
	stop := func() {
		_ = signalGroup(pid, syscall.SIGINT)
		if !stopping {
			stopping = true
			idleC, timeoutC = nil, nil
			killC = time.After(grace)
		}
	}
	kill := func() {
		_ = signalGroup(pid, syscall.SIGKILL)
		killC = nil
	}

running:
	for {
		select {
		case l, ok := <-linesC:
			if !ok {
				linesC = nil // both streams closed; the child may still run
				continue
			}
			handle(l)
		case <-child.exited:
			break running
		case <-ctxDone:
			ctxDone = nil
			res.Interrupted, cause = true, ctx.Err()
			stop()
		case _, ok := <-interrupt:
			if !ok {
				interrupt = nil
			}
			res.Interrupted = true
			if cause == nil {
				cause = errInterrupted
			}
			// The first asks the group to stop and arms the SIGKILL after the
			// grace, so one SIGTERM to jpops ends a flyctl that ignores
			// SIGINT in bounded time; the second kills at once.
			if interrupts++; interrupts == 1 {
				stop()
			} else {
				kill()
			}
		case <-idleC:
			quiet := time.Since(start) - time.Duration(lastRead.Load())
			if quiet < spec.IdleTimeout {
				idle.Reset(spec.IdleTimeout - quiet)
				continue
			}
			res.Idle = true
			stop()
		case <-timeoutC:
			res.TimedOut = true
			stop()
		case <-killC:
			kill()
		}
	}

	// The child has exited (on Linux not yet reaped, so its group ID is
	// still ours): kill whatever it left behind, then reap it.
	_ = signalGroup(pid, syscall.SIGKILL)
	waitErr := child.reap()
	reaped = true
	res.Duration = now().Sub(told)

	drain := time.NewTimer(drainGrace)
	defer drain.Stop()
	for linesC != nil {
		select {
		case l, ok := <-linesC:
			if !ok {
				linesC = nil
				continue
			}
			handle(l)
		case <-drain.C:
			for _, f := range []*os.File{outR, errR} {
				if f.SetReadDeadline(time.Now()) != nil {
					f.Close()
				}
			}
		}
	}

	signal := ""
	if st := cmd.ProcessState; st != nil {
		res.ExitCode = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signaled = true
			signal = ws.Signal().String()
		}
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && cause == nil {
		cause = waitErr
	}

	var reason string
	switch {
	case res.Idle:
		reason = ReasonIdle
	case res.TimedOut:
		reason = ReasonTimeout
	case res.ExitCode == 0 && !res.Signaled && waitErr == nil:
		return res, nil
	case res.Interrupted:
		reason = ReasonInterrupted
	case res.Signaled:
		reason = ReasonSignal
	default:
		reason = ReasonExit
	}
	e := newError(spec, res, reason, cause)
	e.Signal = signal
	return res, e
}

// readStream splits f into lines and sends them, cleaned, until EOF or
// until Run is leaving.
func readStream(f *os.File, stream string, clean func(string) string, lines chan<- Line, done <-chan struct{}, touched func()) {
	leaving := false
	sp := newSplitter(func(b []byte, truncated bool) {
		if leaving {
			return
		}
		var text string
		switch kept, ok := cutLong(b); {
		case !truncated:
			text = sanitize(string(b))
		case ok:
			text = sanitize(kept) + truncatedMark
		default:
			text = omittedMark
		}
		if text = clean(text); text == "" {
			return
		}
		select {
		case lines <- Line{Stream: stream, Text: text, At: time.Now()}:
		case <-done:
			leaving = true
		}
	})
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			touched()
			sp.write(buf[:n])
		}
		if err != nil {
			sp.flush()
			return
		}
	}
}

// appendTail keeps the last TailLines lines without growing past them.
func appendTail(tail []Line, l Line) []Line {
	if len(tail) < TailLines {
		return append(tail, l)
	}
	copy(tail, tail[1:])
	tail[len(tail)-1] = l
	return tail
}

// redactorFor combines the spec's redactor with the secrets of its env.
func redactorFor(spec Spec) func(string) string {
	base := spec.Redactor
	if base == nil {
		base = redact.Default
	}
	if spec.Env == nil {
		return base.String
	}
	return base.With(redact.SecretsFromEnv(spec.Env)...).String
}

// child tracks the exit of a started command.
type child struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the child has exited
	waited  bool          // the watcher already reaped it
	waitErr error
}

// watch starts watching cmd for its exit. Where the exit can be seen
// without reaping (Linux), reaping is left to reap, after the group kill.
func watch(cmd *exec.Cmd) *child {
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() {
		if peekExit(cmd.Process.Pid) != nil {
			c.waitErr = cmd.Wait()
			c.waited = true
		}
		close(c.exited)
	}()
	return c
}

// reap waits for the exit and collects the child's status.
func (c *child) reap() error {
	<-c.exited
	if c.waited {
		return c.waitErr
	}
	return c.cmd.Wait()
}
