package phases

import (
	"fmt"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/runbook"
)

// maxMachineChanges bounds the smoke_machine events of one machine in one
// walk: a machine flapping at every poll of a long settle must not flood
// the journal. Past it, its changes are shown no more, and a note says so.
const maxMachineChanges = 40

// smokeShown is what the walk last journaled of each machine.
type smokeShown struct {
	last    map[string]journal.SmokeMachine
	changes map[string]int
}

// showMachines journals each machine whose state, as the screen shows it,
// changed since the last round: the settle and the hold show every machine
// live without an event per poll. A machine not asked this round (another
// failed first) keeps how it last answered.
func (e *engine) showMachines(ms []journal.SmokeMachine, settling bool) error {
	const id = runbook.PhaseSmoke
	if e.shown.last == nil {
		e.shown = smokeShown{last: map[string]journal.SmokeMachine{}, changes: map[string]int{}}
	}
	stage := journal.StageHold
	if settling {
		stage = journal.StageSettle
	}
	for _, sm := range ms {
		prev, seen := e.shown.last[sm.ID]
		if sm.Requests == "" {
			sm.Requests = prev.Requests
		}
		sm.Good = sm.Good && (sm.Requests == journal.RequestsAnswered || sm.Requests == journal.RequestsLeftAlone)
		sm.Stage = prev.Stage
		if seen && sm == prev {
			continue
		}
		sm.Stage = stage
		e.shown.last[sm.ID] = sm
		e.shown.changes[sm.ID]++
		switch n := e.shown.changes[sm.ID]; {
		case n == maxMachineChanges+1:
			if err := e.emit(id, journal.Note{Text: fmt.Sprintf("machine %s changed %d times: its further changes are not journaled (its smoke checks still are)", sm.ID, maxMachineChanges)}); err != nil {
				return err
			}
			continue
		case n > maxMachineChanges:
			continue
		}
		if err := e.emit(id, sm); err != nil {
			return err
		}
	}
	return nil
}
