// Package verdict names the outcomes of a jpops run and owns the one table
// that maps outcomes to process exit codes (listed in every command's help and in docs/cli/jpops.md). Scripts rely on
// these numbers, so they change only together with the design.
package verdict

// Verdict is the named outcome of a phase or of a whole run.
type Verdict string

const (
	Healthy         Verdict = "HEALTHY"
	HangConfirmed   Verdict = "HANG_CONFIRMED"
	Inconclusive    Verdict = "INCONCLUSIVE"
	NotThisIncident Verdict = "NOT_THIS_INCIDENT"
	EscapeFailed    Verdict = "ESCAPE_FAILED"
	SmokeFailed     Verdict = "SMOKE_FAILED"
	Recovered       Verdict = "RECOVERED"
	Aborted         Verdict = "ABORTED"
)

// Exit codes, for every command.
const (
	ExitOK              = 0
	ExitError           = 1
	ExitUsage           = 2
	ExitUnauthorized    = 3
	ExitHangConfirmed   = 10 // also: audit found an unguarded full-scan op
	ExitInconclusive    = 11
	ExitNotThisIncident = 12
	ExitEscapeFailed    = 20
	ExitSmokeFailed     = 30
	ExitAborted         = 40
	ExitInterrupted     = 130
)

// ExitCode is the process exit code a command ends with when its outcome is v.
func (v Verdict) ExitCode() int {
	switch v {
	case Healthy, Recovered:
		return ExitOK
	case HangConfirmed:
		return ExitHangConfirmed
	case Inconclusive:
		return ExitInconclusive
	case NotThisIncident:
		return ExitNotThisIncident
	case EscapeFailed:
		return ExitEscapeFailed
	case SmokeFailed:
		return ExitSmokeFailed
	case Aborted:
		return ExitAborted
	}
	return ExitError
}

// All lists every verdict, in the order the runbook can reach them.
func All() []Verdict {
	return []Verdict{Healthy, HangConfirmed, Inconclusive, NotThisIncident, EscapeFailed, SmokeFailed, Recovered, Aborted}
}

// Valid reports whether v is one of the named verdicts.
func (v Verdict) Valid() bool {
	for _, w := range All() {
		if v == w {
			return true
		}
	}
	return false
}
