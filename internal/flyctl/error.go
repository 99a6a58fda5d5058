package flyctl

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Reasons an *Error gives.
const (
	ReasonStart       = "start"       // the child could not be started
	ReasonExit        = "exit"        // it exited non-zero
	ReasonSignal      = "signal"      // it died by a signal nobody here sent
	ReasonIdle        = "idle"        // it printed nothing for Spec.IdleTimeout and was stopped
	ReasonTimeout     = "timeout"     // it ran past Spec.Timeout and was stopped
	ReasonInterrupted = "interrupted" // the operator stopped it
)

// errorTailLines is how many of the last lines an error message shows;
// Result.Tail has more.
const errorTailLines = 12

const installHint = "install it (https://fly.io/docs/flyctl/install/) or pass --flyctl PATH / set JPOPS_FLYCTL"

var (
	errBadDir      = errors.New("deploy directory unusable")
	errInterrupted = errors.New("interrupted by the operator")
)

// Error is a failed, stopped or unstartable run. Its message says what
// happened, shows the last lines and what to try next.
type Error struct {
	Result
	Reason      string
	Command     []string // the argv as shown to the operator: redacted, wrapper dropped
	App         string   // the -a/--app of the command, if any
	Dir         string
	Signal      string // for ReasonSignal and killed children: the signal's name
	IdleTimeout time.Duration
	Timeout     time.Duration
	Err         error // the cause, if any: start error, ctx.Err(), ...
}

func newError(spec Spec, res Result, reason string, cause error) *Error {
	return &Error{
		Result:      res,
		Reason:      reason,
		Command:     shownCommand(spec),
		App:         appOf(spec.Argv),
		Dir:         spec.Dir,
		IdleTimeout: spec.IdleTimeout,
		Timeout:     spec.Timeout,
		Err:         cause,
	}
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.headline())
	if n := len(e.Tail); n > 0 {
		b.WriteString("\nlast output:")
		for _, l := range e.Tail[max(0, n-errorTailLines):] {
			b.WriteString("\n  ")
			b.WriteString(l.Text)
		}
	}
	b.WriteString("\nnext: ")
	b.WriteString(e.next())
	return b.String()
}

func (e *Error) name() string {
	if len(e.Command) == 0 {
		return "flyctl"
	}
	if len(e.Command) > 1 && !strings.HasPrefix(e.Command[1], "-") {
		return e.Command[0] + " " + e.Command[1]
	}
	return e.Command[0]
}

func (e *Error) headline() string {
	d := e.Duration.Round(time.Second)
	switch e.Reason {
	case ReasonStart:
		return fmt.Sprintf("cannot start %s: %v", e.name(), e.Err)
	case ReasonIdle:
		return fmt.Sprintf("%s printed nothing for %s and was stopped after %s", e.name(), e.IdleTimeout, d)
	case ReasonTimeout:
		return fmt.Sprintf("%s was still running at its %s timeout and was stopped", e.name(), e.Timeout)
	case ReasonInterrupted:
		if e.ExitCode < 0 && e.Duration == 0 {
			return fmt.Sprintf("%s was not started: interrupted", e.name())
		}
		return fmt.Sprintf("%s was interrupted after %s (%s)", e.name(), d, e.status())
	case ReasonSignal:
		return fmt.Sprintf("%s was killed by %s after %s", e.name(), e.status(), d)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s failed after %s: %v", e.name(), d, e.Err)
	}
	return fmt.Sprintf("%s exited %d after %s", e.name(), e.ExitCode, d)
}

func (e *Error) status() string {
	if e.Signaled {
		if e.Signal != "" {
			return "signal: " + e.Signal
		}
		return "a signal"
	}
	return fmt.Sprintf("exit %d", e.ExitCode)
}

func (e *Error) next() string {
	app := ""
	if e.App != "" {
		app = " -a " + e.App
	}
	check := fmt.Sprintf("check `flyctl releases%s` and `flyctl status%s`", app, app)
	switch e.Reason {
	case ReasonStart:
		if errors.Is(e.Err, errBadDir) {
			return "pass the directory that holds the app's fly.toml"
		}
		if e.Err != nil && strings.Contains(e.Err.Error(), "no command") {
			return "say which flyctl to run: " + installHint
		}
		return "flyctl may be missing or not executable: " + installHint
	case ReasonIdle, ReasonTimeout:
		knob := "escape.idle_timeout"
		if e.Reason == ReasonTimeout {
			knob = "escape.timeout"
		}
		return fmt.Sprintf("the build or rollout may still be going on at Fly: %s before deploying again; if the builder is only slow, raise %s in the runbook", check, knob)
	case ReasonInterrupted:
		return check + ": a rolling deploy stopped midway can leave machines on different images"
	}
	where := ""
	if e.Dir != "" {
		where = " in " + e.Dir
	}
	return fmt.Sprintf("rerun `%s` by hand%s to see the full output, or %s", strings.Join(e.Command, " "), where, check)
}

// shownCommand is the argv an operator would type: a wrapper in front of
// flyctl dropped, the program by its short name, token values masked, the
// rest redacted and quoted for a shell.
func shownCommand(spec Spec) []string {
	argv := spec.Argv
	for i, a := range argv {
		if base := filepath.Base(a); base == "flyctl" || base == "fly" {
			argv = argv[i:]
			break
		}
	}
	if len(argv) == 0 {
		return nil
	}
	clean := redactorFor(spec)
	out := []string{filepath.Base(argv[0])}
	maskNext := false
	for _, a := range argv[1:] {
		switch {
		case maskNext:
			a, maskNext = "[REDACTED]", false
		case a == "-t" || a == "--access-token":
			maskNext = true
		case strings.HasPrefix(a, "--access-token=") || strings.HasPrefix(a, "-t="):
			a = a[:strings.IndexByte(a, '=')+1] + "[REDACTED]"
		}
		out = append(out, shellQuote(clean(a)))
	}
	return out
}

// appOf finds the value of -a/--app in argv.
func appOf(argv []string) string {
	for i, a := range argv {
		switch {
		case (a == "-a" || a == "--app") && i+1 < len(argv):
			return argv[i+1]
		case strings.HasPrefix(a, "--app="):
			return a[len("--app="):]
		case strings.HasPrefix(a, "-a="):
			return a[len("-a="):]
		}
	}
	return ""
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
