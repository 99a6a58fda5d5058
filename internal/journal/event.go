package journal

import "time"

// Event is one line of an incident journal, and the unit the engine reports
// to every face (TUI, plain lines, NDJSON). Field names are a contract
// (DESIGN.md §6): snake_case and stable.
type Event struct {
	TS       time.Time      `json:"ts"`
	Seq      int            `json:"seq"`
	Incident string         `json:"incident"`
	Mode     string         `json:"mode"`
	Phase    string         `json:"phase"`
	Kind     string         `json:"kind"`
	Data     map[string]any `json:"data,omitempty"`
}

// Modes.
const (
	ModeLive   = "live"
	ModeDrill  = "drill"
	ModeDryRun = "dry-run"
)

// Kinds of event, with the data each carries.
const (
	KindIncidentStart = "incident_start" // app, runbook, version, argv, machines_api, logs_api
	KindPhaseStart    = "phase_start"    // title
	KindPhaseEnd      = "phase_end"      // status: passed|failed|skipped, reason
	KindMachine       = "machine"        // id, region, state, checks_passing, checks_total, image, digest, updated_at, signature, since_s
	KindEvidence      = "evidence"       // machine, timestamp, op, db, line, running_for_s, completed
	KindVerdict       = "verdict"        // verdict, reason, next
	KindPrecondition  = "precondition"   // name, ok, detail
	KindGate          = "gate"           // command, expect, confirmed_by (operator|--yes|--force), ok
	KindCommandStart  = "command_start"  // argv, dir, pid
	KindCommandOutput = "command_output" // stream (stdout|stderr), line
	KindCommandExit   = "command_exit"   // code, image, digest, error
	KindSmokeResult   = "smoke_result"   // machine, check (image|state|checks|request), request, status, ok, detail
	KindHold          = "hold"           // elapsed_s, remaining_s, hold_s
	KindNote          = "note"           // text
	KindAbort         = "abort"          // reason
	KindIncidentEnd   = "incident_end"   // verdict, exit_code
)

// PhaseIncident is the phase name of events that belong to no single phase.
const PhaseIncident = "incident"
