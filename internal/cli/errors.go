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
	usage  bool // a mistake on the command line: the help says how to fix it
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError is a bad flag or argument: exit 2, and a pointer to the help.
func usageError(format string, a ...any) error {
	return &ExitError{Code: verdict.ExitUsage, Err: fmt.Errorf(format, a...), usage: true}
}

// isUsage reports a mistake on the command line, which the help can fix:
// jpops's own flag checks and cobra's unknown commands, flags and argument
// counts. A bad runbook file or a script the shell rejects exits 2 too, but
// the help would not fix it.
func isUsage(err error) bool {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.usage
	}
	return isCobraUsage(err)
}

// verdictExit ends a command whose outcome has been reported already.
func verdictExit(v verdict.Verdict) error {
	if code := v.ExitCode(); code != verdict.ExitOK {
		return &ExitError{Code: code, Silent: true, Err: errors.New(string(v))}
	}
	return nil
}

// ExitCode maps an error to the process exit code every command's help lists.
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

// exitDoc is one line of a command's exit-code table in its help.
type exitDoc struct {
	code    int
	meaning string
}

func exit(code int, meaning string) exitDoc { return exitDoc{code, meaning} }
func exitOK(meaning string) exitDoc         { return exitDoc{verdict.ExitOK, meaning} }

// The codes most commands share (DESIGN's exit-code table).
var (
	exitError       = exitDoc{verdict.ExitError, "error: the API, the network or a file failed"}
	exitUsage       = exitDoc{verdict.ExitUsage, "usage: bad flags or arguments, or an invalid runbook file"}
	exitAuth        = exitDoc{verdict.ExitUnauthorized, "not authorised: no token, or the API refused it"}
	exitInterrupted = exitDoc{verdict.ExitInterrupted, "interrupted (SIGINT, SIGTERM)"}
)

// exitCodes renders the exit-code table that ends every command's help. It
// is indented as a block, so the Markdown reference and the man pages keep
// one code per line.
func exitCodes(codes ...exitDoc) string {
	var b strings.Builder
	b.WriteString("\n\nExit codes:\n\n")
	for _, c := range codes {
		fmt.Fprintf(&b, "    %-4d %s\n", c.code, c.meaning)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
