// Package journaltest builds journal events for the tests of the packages
// that read them (incident, postmortem): from their wire form, through the
// decoder every reader uses, laid out as if read back from a file.
package journaltest

import (
	"encoding/json"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

// T0 is when the incident of Script and Join starts.
var T0 = time.Date(2026, 5, 11, 12, 20, 5, 0, time.UTC)

// Incident is the incident ID Script and Join stamp on every event.
const Incident = "20260511T122005Z-autonomath-api-7c2e"

// Ev builds an event from its wire form, key by key, through the decoder
// every reader uses. A bad key or value is a mistake in the test: it panics.
func Ev(phase, kind string, kv ...any) journal.Event {
	d := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i].(string)] = kv[i+1]
	}
	raw, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	p, err := journal.DecodeData(kind, raw)
	if err != nil {
		panic(err)
	}
	return journal.Event{Phase: phase, Kind: kind, Data: p}
}

// Script numbers events and lays them out one second apart from T0, live
// unless they say otherwise, as if read back from a file.
func Script(steps ...journal.Event) []journal.Event {
	out := make([]journal.Event, len(steps))
	for i, e := range steps {
		e.Seq = i + 1
		e.TS = T0.Add(time.Duration(i) * time.Second)
		e.Incident = Incident
		if e.Mode == "" {
			e.Mode = journal.ModeLive
		}
		out[i] = e
	}
	return out
}

// Join is Script of events or lists of them, in order.
func Join(parts ...any) []journal.Event {
	var out []journal.Event
	for _, p := range parts {
		switch p := p.(type) {
		case journal.Event:
			out = append(out, p)
		case []journal.Event:
			out = append(out, p...)
		default:
			panic("journaltest.Join takes events and lists of events")
		}
	}
	return Script(out...)
}

// Diagnosed is a walk from diagnosis to a deploy under way: one machine
// wedged in its boot for 40 minutes, HANG_CONFIRMED, the gate confirmed by
// the operator, `flyctl deploy` started and not yet exited. Each call
// returns new events.
func Diagnosed() []journal.Event {
	return []journal.Event{
		Ev("diagnose", journal.KindPhaseStart),
		Ev("diagnose", journal.KindMachine, "id", "85e273f4a1b2c3", "image", "registry.fly.io/autonomath-api:old", "signature", true, "since_s", 2400.0),
		Ev("diagnose", journal.KindPhaseEnd, "status", "passed"),
		Ev("bootlogs", journal.KindPhaseStart),
		Ev("bootlogs", journal.KindVerdict, "verdict", "HANG_CONFIRMED"),
		Ev("bootlogs", journal.KindPhaseEnd, "status", "passed"),
		Ev("escape", journal.KindPhaseStart),
		Ev("escape", journal.KindGate, "command", "flyctl deploy", "confirmed_by", "operator", "ok", true),
		Ev("escape", journal.KindCommandStart, "argv", []any{"flyctl", "deploy", "--remote-only"}),
	}
}
