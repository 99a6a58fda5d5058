package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// ExitError ends a command with a given exit code. When Silent, the command
// has already told the operator what happened and nothing more is printed.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError is a bad flag or argument: exit 2.
func usageError(format string, a ...any) error {
	return &ExitError{Code: verdict.ExitUsage, Err: fmt.Errorf(format, a...)}
}

// verdictExit ends a command whose outcome has been reported already.
func verdictExit(v verdict.Verdict) error {
	if code := v.ExitCode(); code != verdict.ExitOK {
		return &ExitError{Code: code, Silent: true, Err: errors.New(string(v))}
	}
	return nil
}

// ExitCode maps an error to the process exit code of DESIGN.md §3.
func ExitCode(err error) int {
	if err == nil {
		return verdict.ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if errors.Is(err, context.Canceled) {
		return verdict.ExitInterrupted
	}
	if flyapi.IsAuth(err) {
		return verdict.ExitUnauthorized
	}
	var rbErr *runbook.Error
	if errors.As(err, &rbErr) {
		return verdict.ExitUsage
	}
	if isCobraUsage(err) {
		return verdict.ExitUsage
	}
	return verdict.ExitError
}

// Cobra reports argument and command errors as plain errors; these prefixes
// are its wording for usage mistakes.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "required flag", "accepts ", "requires at least", "requires at most", "flag needs an argument", "bad flag syntax"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
