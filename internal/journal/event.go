package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// Event is one line of an incident journal, and the unit the engine reports
// to every face (TUI, plain lines, NDJSON). Field names are a contract:
// snake_case and stable. Data holds the typed payload of Kind; every reader
// takes it with a type switch or assertion, and DecodeData is the one place
// that turns the wire form back into a payload.
type Event struct {
	TS       time.Time `json:"ts"`
	Seq      int       `json:"seq"`
	Incident string    `json:"incident"`
	Mode     string    `json:"mode"`
	Phase    string    `json:"phase"`
	Kind     string    `json:"kind"`
	Data     Payload   `json:"data,omitempty"`
}

// Payload is the data of one kind of event. The structs below are the whole
// vocabulary; their JSON keys are the journal's wire format, so a key is
// never renamed or retyped, only added.
type Payload interface{ Kind() string }

// New returns an event of p's kind in phase.
func New(phase string, p Payload) Event { return Event{Phase: phase, Kind: p.Kind(), Data: p} }

// Modes.
const (
	ModeLive   = "live"
	ModeDrill  = "drill"
	ModeDryRun = "dry-run"
)

// Kinds of event; the payload of each is the struct of the same name.
const (
	KindIncidentStart = "incident_start"
	KindPhaseStart    = "phase_start"
	KindPhaseEnd      = "phase_end"
	KindMachine       = "machine"
	KindEvidence      = "evidence"
	KindVerdict       = "verdict"
	KindPrecondition  = "precondition"
	KindGate          = "gate"
	KindCommandStart  = "command_start"
	KindCommandOutput = "command_output"
	KindCommandExit   = "command_exit"
	KindSmokeResult   = "smoke_result"
	KindSmokeMachine  = "smoke_machine"
	KindHold          = "hold"
	KindNote          = "note"
	KindAbort         = "abort"
	KindIncidentEnd   = "incident_end"
	KindPage          = "page"
)

// PhaseIncident is the phase name of events that belong to no single phase.
const PhaseIncident = "incident"

// Phase statuses of phase_end (and, for a phase under way, of the incident view).
const (
	StatusPassed  = "passed"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusRunning = "running"
)

// Who confirmed a gate or a precondition.
const (
	ByOperator = "operator"
	ByYes      = "--yes"
	ByForce    = "--force"
)

// Fields are declared in the order of their JSON keys, so an event encodes
// byte for byte as the maps the engine once wrote did.

// IncidentStart opens an incident: what was asked for.
type IncidentStart struct {
	App       string  `json:"app"`
	Dir       string  `json:"dir"` // the deploy directory
	DryRun    bool    `json:"dry_run"`
	Flyctl    string  `json:"flyctl,omitempty"` // the flyctl program run, when one was found
	Force     bool    `json:"force"`
	HoldS     float64 `json:"hold_s"`
	IntervalS float64 `json:"interval_s"`
	Machine   string  `json:"machine"` // the one machine in focus; "" for all
	Runbook   string  `json:"runbook"`
	SmokeURL  string  `json:"smoke_url"`
	Version   string  `json:"version"`
	Yes       bool    `json:"yes"`
}

// PhaseStart starts one of the runbook's phases.
type PhaseStart struct {
	Title string `json:"title"`
}

// PhaseEnd ends a phase: Status is passed, failed or skipped.
type PhaseEnd struct {
	Reason string `json:"reason"`
	Status string `json:"status"`
}

// Machine is one machine as the Machines API showed it.
type Machine struct {
	ChecksPassing int     `json:"checks_passing"`
	ChecksTotal   int     `json:"checks_total"`
	Digest        string  `json:"digest"`
	Health        string  `json:"health"` // healthy | signature | warming | unhealthy
	ID            string  `json:"id"`
	Image         string  `json:"image"`
	Region        string  `json:"region"`
	Signature     bool    `json:"signature"`
	SinceS        float64 `json:"since_s"` // how long a signature machine has been started
	State         string  `json:"state"`
	UpdatedAt     string  `json:"updated_at"`
}

// Evidence is one boot-op line from a machine's logs. Status is the op's
// state (hung, running, completed, ...); Completion its completion line.
type Evidence struct {
	Completion  string  `json:"completion"`
	DB          string  `json:"db"`
	Line        string  `json:"line"`
	Machine     string  `json:"machine"`
	Op          string  `json:"op"`
	RunningForS float64 `json:"running_for_s"`
	Status      string  `json:"status"`
	Timestamp   string  `json:"timestamp"` // RFC 3339, from the log line
}

// Evidence statuses the readers tell apart.
const EvidenceCompleted = "completed"

// Completed reports whether the op logged its end: recovery, not outage.
func (e Evidence) Completed() bool { return e.Status == EvidenceCompleted || e.Completion != "" }

// Verdict is a phase's verdict. Next is one shell command (or ""), NextNote
// the prose that goes with it: see Advice.
type Verdict struct {
	Next     string          `json:"next"`
	NextNote string          `json:"next_note"`
	Reason   string          `json:"reason"`
	Verdict  verdict.Verdict `json:"verdict"`
}

// Advice is the verdict's next step.
func (v Verdict) Advice() advice.Advice { return advice.Advice{Command: v.Next, Note: v.NextNote} }

// UnmarshalJSON reads a verdict; one written before next_note existed has
// its advice split (see legacyNext).
func (v *Verdict) UnmarshalJSON(b []byte) error {
	type wire Verdict
	var w struct {
		wire
		NextNote *string `json:"next_note"`
	}
	err := json.Unmarshal(b, &w)
	*v = Verdict(w.wire)
	v.Next, v.NextNote = legacyNext(v.Next, w.NextNote)
	return err
}

// Precondition is one check before the escape deploy.
type Precondition struct {
	ConfirmedBy string            `json:"confirmed_by,omitempty"` // --force when forced past
	Detail      string            `json:"detail"`
	Findings    []string          `json:"findings,omitempty"` // boot_script: the audit's findings
	Forced      bool              `json:"forced,omitempty"`
	Images      map[string]string `json:"images,omitempty"` // images_recorded: machine -> image
	Name        string            `json:"name"`
	OK          bool              `json:"ok"`
}

// Gate is the typed confirmation before the deploy. ConfirmedBy is
// operator, --yes, or "" when no one could be asked.
type Gate struct {
	Command     string `json:"command"`
	ConfirmedBy string `json:"confirmed_by"`
	Expect      string `json:"expect"`
	OK          bool   `json:"ok"`
	Reason      string `json:"reason,omitempty"`
}

// CommandStart starts the deploy. Argv is what ran (maybe behind a
// wrapper); Command is the line as the runbook names it.
type CommandStart struct {
	Argv    []string `json:"argv"`
	Command string   `json:"command"`
	Dir     string   `json:"dir"`
}

// CommandOutput is one line of the deploy's output.
type CommandOutput struct {
	Line   string `json:"line"`
	Stream string `json:"stream"` // stdout | stderr
}

// CommandExit ends the deploy. Code is -1 when the command never started
// or died by a signal; Signal then names the signal that killed it.
// Interrupted says jpops passed it an interrupt (the operator's Ctrl-C, or
// jpops itself stopping): its exit code is then its answer to that (flyctl
// exits 127), not a failure of its own.
type CommandExit struct {
	Code        int    `json:"code"`
	Digest      string `json:"digest"`
	Error       string `json:"error,omitempty"`
	Image       string `json:"image"`
	Interrupted bool   `json:"interrupted,omitempty"`
	Signal      string `json:"signal,omitempty"` // e.g. "killed", "interrupt"
}

// SmokeResult is one check of one machine in the smoke walk. Check is
// image, state, checks, request or machines.
type SmokeResult struct {
	Check   string `json:"check"`
	Detail  string `json:"detail"`
	Machine string `json:"machine"`
	OK      bool   `json:"ok"`
	Request string `json:"request"`
	Status  int    `json:"status,omitempty"` // the HTTP status of a request check
}

// SmokeMachine is one machine as the smoke walk sees it, journaled when
// what it shows changes (not at every poll), in the settle and in the hold:
// the screen shows each machine's state while they run, and the journal
// when each one came good.
type SmokeMachine struct {
	ChecksPassing int    `json:"checks_passing"`
	ChecksTotal   int    `json:"checks_total"`
	Good          bool   `json:"good"` // passes everything the walk asks of it
	ID            string `json:"id"`
	Image         string `json:"image"`
	ImageOK       bool   `json:"image_ok"` // runs the deployed image
	Region        string `json:"region"`
	// Requests is how it answers the smoke requests sent straight to it:
	// answered, failing, left alone (the deploy leaves it stopped, so it is
	// not asked), or "" when not asked yet.
	Requests string `json:"requests"`
	Stage    string `json:"stage"` // settle | hold
	State    string `json:"state"`
}

// Requests values of SmokeMachine, and its stages.
const (
	RequestsAnswered  = "answered"
	RequestsFailing   = "failing"
	RequestsLeftAlone = "left alone"
	StageSettle       = "settle"
	StageHold         = "hold"
)

// Hold is the stability hold's progress.
type Hold struct {
	ElapsedS   float64 `json:"elapsed_s"`
	HoldS      float64 `json:"hold_s"`
	RemainingS float64 `json:"remaining_s"`
}

// Met reports whether this progress mark is the end of the hold.
func (h Hold) Met() bool { return h.HoldS > 0 && h.RemainingS <= 0 && h.ElapsedS >= h.HoldS }

// Note is free text jpops puts on record.
type Note struct {
	Hangup bool   `json:"hangup,omitempty"` // the terminal hung up
	Text   string `json:"text"`
}

// Abort ends a walk early: the gate refused, or jpops was interrupted.
type Abort struct {
	Reason string `json:"reason"`
}

// Page is the watchdog's page that opened the incident: in a replay drill
// the watchdog runs from the first wedged boot and the walk answers its page.
type Page struct {
	By       string   `json:"by"`       // who paged: "jpops watch"
	Machines []string `json:"machines"` // every machine the page names wedged
	Op       string   `json:"op"`       // the boot op of the first of them
	Since    string   `json:"since"`    // RFC 3339: when that op started
	Text     string   `json:"text"`     // the page as its receiver read it
}

// IncidentEnd closes the incident with its verdict and exit code, and the
// next step (Next the command, NextNote the prose: see Advice).
type IncidentEnd struct {
	Digest   string          `json:"digest"`
	ExitCode int             `json:"exit_code"`
	Image    string          `json:"image"`
	Next     string          `json:"next"`
	NextNote string          `json:"next_note"`
	Reason   string          `json:"reason"`
	Verdict  verdict.Verdict `json:"verdict"`
}

// Advice is the incident's last next step.
func (e IncidentEnd) Advice() advice.Advice { return advice.Advice{Command: e.Next, Note: e.NextNote} }

// UnmarshalJSON reads an incident's end; one written before next_note
// existed has its advice split (see legacyNext).
func (e *IncidentEnd) UnmarshalJSON(b []byte) error {
	type wire IncidentEnd
	var w struct {
		wire
		NextNote *string `json:"next_note"`
	}
	err := json.Unmarshal(b, &w)
	*e = IncidentEnd(w.wire)
	e.Next, e.NextNote = legacyNext(e.Next, w.NextNote)
	return err
}

// legacyNext is the command and the note of next. Journals written before
// next_note held both in next ("COMMAND   # note", or prose naming
// commands in backticks): with no next_note key, next is split on read, so
// no reader ever takes prose for a command.
func legacyNext(next string, note *string) (command, noteText string) {
	if note != nil {
		return next, *note
	}
	a := advice.Legacy(next)
	return a.Command, a.Note
}

// Unknown is the data of a kind this version does not know (a newer jpops
// wrote it), kept as written so nothing is lost on the way through.
type Unknown struct {
	Name string          `json:"-"`
	Raw  json.RawMessage `json:"-"`
}

func (IncidentStart) Kind() string { return KindIncidentStart }
func (PhaseStart) Kind() string    { return KindPhaseStart }
func (PhaseEnd) Kind() string      { return KindPhaseEnd }
func (Machine) Kind() string       { return KindMachine }
func (Evidence) Kind() string      { return KindEvidence }
func (Verdict) Kind() string       { return KindVerdict }
func (Precondition) Kind() string  { return KindPrecondition }
func (Gate) Kind() string          { return KindGate }
func (CommandStart) Kind() string  { return KindCommandStart }
func (CommandOutput) Kind() string { return KindCommandOutput }
func (CommandExit) Kind() string   { return KindCommandExit }
func (SmokeResult) Kind() string   { return KindSmokeResult }
func (SmokeMachine) Kind() string  { return KindSmokeMachine }
func (Hold) Kind() string          { return KindHold }
func (Note) Kind() string          { return KindNote }
func (Abort) Kind() string         { return KindAbort }
func (IncidentEnd) Kind() string   { return KindIncidentEnd }
func (Page) Kind() string          { return KindPage }
func (u Unknown) Kind() string     { return u.Name }

// MarshalJSON writes the data as it was read.
func (u Unknown) MarshalJSON() ([]byte, error) {
	if len(u.Raw) == 0 {
		return []byte("null"), nil
	}
	return u.Raw, nil
}

// Payloads lists a zero payload of every kind the engine emits.
func Payloads() []Payload {
	return []Payload{
		IncidentStart{}, PhaseStart{}, PhaseEnd{}, Machine{}, Evidence{}, Verdict{},
		Precondition{}, Gate{}, CommandStart{}, CommandOutput{}, CommandExit{},
		SmokeResult{}, SmokeMachine{}, Hold{}, Note{}, Abort{}, IncidentEnd{}, Page{},
	}
}

// DecodeData is the one decoder of event data: the JSON of a kind's data
// becomes its typed payload; an unknown kind is kept as Unknown. A value of the wrong type
// (a hand-edited journal) leaves that field zero and keeps the rest: the
// event is never dropped for it.
func DecodeData(kind string, raw json.RawMessage) (Payload, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		raw = nil
	}
	switch kind {
	case KindIncidentStart:
		return decodeAs[IncidentStart](raw)
	case KindPhaseStart:
		return decodeAs[PhaseStart](raw)
	case KindPhaseEnd:
		return decodeAs[PhaseEnd](raw)
	case KindMachine:
		return decodeAs[Machine](raw)
	case KindEvidence:
		return decodeAs[Evidence](raw)
	case KindVerdict:
		return decodeAs[Verdict](raw)
	case KindPrecondition:
		return decodeAs[Precondition](raw)
	case KindGate:
		return decodeAs[Gate](raw)
	case KindCommandStart:
		return decodeAs[CommandStart](raw)
	case KindCommandOutput:
		return decodeAs[CommandOutput](raw)
	case KindCommandExit:
		return decodeAs[CommandExit](raw)
	case KindSmokeResult:
		return decodeAs[SmokeResult](raw)
	case KindSmokeMachine:
		return decodeAs[SmokeMachine](raw)
	case KindHold:
		return decodeAs[Hold](raw)
	case KindNote:
		return decodeAs[Note](raw)
	case KindAbort:
		return decodeAs[Abort](raw)
	case KindIncidentEnd:
		return decodeAs[IncidentEnd](raw)
	case KindPage:
		return decodeAs[Page](raw)
	}
	if raw == nil {
		return Unknown{Name: kind}, nil
	}
	return Unknown{Name: kind, Raw: append(json.RawMessage(nil), raw...)}, nil
}

func decodeAs[P Payload](raw json.RawMessage) (Payload, error) {
	var p P
	if raw == nil {
		return p, nil
	}
	err := json.Unmarshal(raw, &p)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		err = nil // the other fields decoded; see DecodeData
	}
	return p, err
}

// UnmarshalJSON decodes an event and its data, typed by its kind.
func (e *Event) UnmarshalJSON(b []byte) error {
	type wire Event
	var w struct {
		wire
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	data, err := DecodeData(w.Kind, w.Data)
	if err != nil {
		return err
	}
	*e = Event(w.wire)
	e.Data = data
	return nil
}
