// Package notify pages the operator when the watchdog sees the boot-hang
// signature hold too long, and when it clears. Notifiers are Telegram, a
// JSON webhook, a Slack incoming webhook, a local command and stdout; a
// Dispatcher fans each alert out to all of them without ever blocking the
// watchdog. Every text that leaves the process passes through redact.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/redact"
)

// Alert kinds. A grouped page (one for the whole app) is a hang when it is
// the first page of an outage, an update when machines wedged or recovered
// since the last page delivered, and a recovery when none is wedged any more.
const (
	KindHang     = "hang"
	KindUpdate   = "update"
	KindRecovery = "recovery"
)

// Wedge is one machine and boot op in a grouped page.
type Wedge struct {
	Machine    string        `json:"machine"`
	Region     string        `json:"region,omitempty"`
	Op         string        `json:"op"`
	DB         string        `json:"db,omitempty"`
	Since      time.Time     `json:"since,omitzero"`
	RunningFor time.Duration `json:"-"`
	Evidence   string        `json:"evidence,omitempty"`
	New        bool          `json:"new,omitempty"` // not in the last page this notifier delivered
}

// wedgeJSON adds running_for_s to the wire form.
type wedgeJSON struct {
	Wedge
	RunningForS float64 `json:"running_for_s"`
}

func wedgesJSON(ws []Wedge) []wedgeJSON {
	if ws == nil {
		return nil
	}
	out := make([]wedgeJSON, len(ws))
	for i, w := range ws {
		out[i] = wedgeJSON{Wedge: w, RunningForS: w.RunningFor.Seconds()}
	}
	return out
}

func wedgesFromJSON(ws []wedgeJSON) []Wedge {
	if ws == nil {
		return nil
	}
	out := make([]Wedge, len(ws))
	for i, w := range ws {
		out[i] = w.Wedge
		out[i].RunningFor = time.Duration(w.RunningForS * float64(time.Second))
	}
	return out
}

// Alert is one page: what hangs, where, since when, the log line that shows
// it and the command that starts the runbook.
type Alert struct {
	Kind       string        // KindHang or KindRecovery
	App        string        //
	Machine    string        //
	Region     string        //
	Op         string        // boot op, e.g. integrity_check
	DB         string        // database path
	Since      time.Time     // when the op started
	RunningFor time.Duration // how long it has run
	Evidence   string        // the log line
	Command    string        // the ready `jpops run -a APP --machine ID` line
	Summary    string        // one human sentence: what, where, for how long
	At         time.Time     // when the alert was raised
	Drill      bool          // raised against the simulated platform

	// A grouped page also names every machine wedged now (Wedged), those
	// that recovered since the last page (Recovered), and those that wedged
	// and recovered while no page could be delivered (Missed). The single
	// machine fields above then describe the first of Wedged.
	Wedged    []Wedge
	Recovered []Wedge
	Missed    []Wedge
}

// alertJSON is the wire form: snake_case, running_for_s in seconds.
type alertJSON struct {
	Kind        string      `json:"kind"`
	App         string      `json:"app"`
	Machine     string      `json:"machine,omitempty"`
	Region      string      `json:"region,omitempty"`
	Op          string      `json:"op,omitempty"`
	DB          string      `json:"db,omitempty"`
	Since       time.Time   `json:"since,omitzero"`
	RunningForS float64     `json:"running_for_s"`
	Evidence    string      `json:"evidence,omitempty"`
	Command     string      `json:"command,omitempty"`
	Summary     string      `json:"summary"`
	At          time.Time   `json:"at,omitzero"`
	Drill       bool        `json:"drill"`
	Wedged      []wedgeJSON `json:"wedged,omitempty"`
	Recovered   []wedgeJSON `json:"recovered,omitempty"`
	Missed      []wedgeJSON `json:"missed,omitempty"`
}

// MarshalJSON writes the snake_case wire form.
func (a Alert) MarshalJSON() ([]byte, error) {
	return json.Marshal(alertJSON{
		Kind: a.Kind, App: a.App, Machine: a.Machine, Region: a.Region, Op: a.Op, DB: a.DB,
		Since: a.Since, RunningForS: a.RunningFor.Seconds(), Evidence: a.Evidence,
		Command: a.Command, Summary: a.Summary, At: a.At, Drill: a.Drill,
		Wedged: wedgesJSON(a.Wedged), Recovered: wedgesJSON(a.Recovered), Missed: wedgesJSON(a.Missed),
	})
}

// UnmarshalJSON reads the wire form back.
func (a *Alert) UnmarshalJSON(b []byte) error {
	var j alertJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*a = Alert{
		Kind: j.Kind, App: j.App, Machine: j.Machine, Region: j.Region, Op: j.Op, DB: j.DB,
		Since: j.Since, RunningFor: time.Duration(j.RunningForS * float64(time.Second)),
		Evidence: j.Evidence, Command: j.Command, Summary: j.Summary, At: j.At, Drill: j.Drill,
		Wedged: wedgesFromJSON(j.Wedged), Recovered: wedgesFromJSON(j.Recovered), Missed: wedgesFromJSON(j.Missed),
	}
	return nil
}

// Redacted returns a copy with every text field passed through redact.
func (a Alert) Redacted() Alert {
	for _, s := range []*string{&a.Kind, &a.App, &a.Machine, &a.Region, &a.Op, &a.DB, &a.Evidence, &a.Command, &a.Summary} {
		*s = redact.String(*s)
	}
	for _, list := range []*[]Wedge{&a.Wedged, &a.Recovered, &a.Missed} {
		if *list == nil {
			continue
		}
		out := make([]Wedge, len(*list))
		for i, w := range *list {
			for _, s := range []*string{&w.Machine, &w.Region, &w.Op, &w.DB, &w.Evidence} {
				*s = redact.String(*s)
			}
			out[i] = w
		}
		*list = out
	}
	return a
}

// Sentence is the alert's Summary, or one composed from its fields.
func (a Alert) Sentence() string {
	if a.Summary != "" {
		return a.Summary
	}
	where := a.App
	if a.Machine != "" {
		where += " machine " + a.Machine
	}
	if a.Region != "" {
		where += " (" + a.Region + ")"
	}
	if a.Kind == KindRecovery {
		return fmt.Sprintf("%s recovered: its boot finished.", where)
	}
	what := "a boot op"
	if a.Op != "" {
		what = a.Op
	}
	if a.DB != "" {
		what += " on " + a.DB
	}
	return fmt.Sprintf("%s is stuck at boot: %s has run for %s with no completion line.", where, what, a.RunningFor.Round(time.Second))
}

func (a Alert) title() string {
	t := "jpops: " + strings.ToUpper(a.Kind)
	if a.Kind == "" {
		t = "jpops: ALERT"
	}
	if a.App != "" {
		t += " " + a.App
	}
	if a.Drill {
		t = "[DRILL] " + t
	}
	return t
}

// Line is the alert as one human line, redacted.
func (a Alert) Line() string {
	s := a.title() + ": " + a.Sentence()
	if a.Command != "" && a.Kind != KindRecovery {
		s += " Next: " + a.Command
	}
	return redact.String(strings.ReplaceAll(s, "\n", " "))
}

// Message is the alert as a short multi-line message for chat, redacted.
func (a Alert) Message() string {
	var b strings.Builder
	b.WriteString(a.title() + "\n" + a.Sentence() + "\n")
	if !a.Since.IsZero() {
		b.WriteString("since: " + a.Since.UTC().Format(time.RFC3339) + "\n")
	}
	if a.Evidence != "" {
		b.WriteString("evidence: " + clip(a.Evidence, maxEvidence) + "\n")
	}
	if len(a.Wedged) > 1 || len(a.Recovered) > 0 || len(a.Missed) > 0 {
		writeWedges(&b, "wedged", a.Wedged)
		writeWedges(&b, "recovered", a.Recovered)
		writeWedges(&b, "wedged and recovered while no page could be delivered", a.Missed)
	}
	if a.Command != "" && a.Kind != KindRecovery {
		b.WriteString("next: " + a.Command + "\n")
	}
	return redact.String(strings.TrimRight(b.String(), "\n"))
}

// maxListed keeps a page of a whole fleet readable in chat (and below
// Telegram's 4096 characters): the rest is counted, and every machine is in
// the JSON form and in `jpops diagnose`.
const maxListed = 20

func writeWedges(b *strings.Builder, title string, ws []Wedge) {
	if len(ws) == 0 {
		return
	}
	fmt.Fprintf(b, "%s (%d):\n", title, len(ws))
	for i, w := range ws {
		if i == maxListed {
			fmt.Fprintf(b, "  … and %d more\n", len(ws)-maxListed)
			break
		}
		line := "  " + w.Machine
		if w.Region != "" {
			line += " (" + w.Region + ")"
		}
		line += " " + w.Op
		if w.DB != "" {
			line += " on " + w.DB
		}
		if w.RunningFor > 0 {
			line += " for " + w.RunningFor.Round(time.Second).String()
		}
		if w.New {
			line += " [new]"
		}
		b.WriteString(clip(line, 200) + "\n")
	}
}

// maxEvidence keeps a chat message far below Telegram's 4096-character cap.
const maxEvidence = 1000

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// env is the alert as JPOPS_* environment variables, redacted.
func (a Alert) env() []string {
	r := a.Redacted()
	js, _ := json.Marshal(r)
	since, at := "", ""
	if !r.Since.IsZero() {
		since = r.Since.UTC().Format(time.RFC3339)
	}
	if !r.At.IsZero() {
		at = r.At.UTC().Format(time.RFC3339)
	}
	drill := "0"
	if r.Drill {
		drill = "1"
	}
	return []string{
		"JPOPS_ALERT_KIND=" + r.Kind,
		"JPOPS_APP=" + r.App,
		"JPOPS_MACHINE=" + r.Machine,
		"JPOPS_REGION=" + r.Region,
		"JPOPS_OP=" + r.Op,
		"JPOPS_DB=" + r.DB,
		"JPOPS_SINCE=" + since,
		"JPOPS_RUNNING_FOR_S=" + strconv.FormatInt(int64(r.RunningFor/time.Second), 10),
		"JPOPS_EVIDENCE=" + r.Evidence,
		"JPOPS_COMMAND=" + r.Command,
		"JPOPS_SUMMARY=" + redact.String(r.Sentence()),
		"JPOPS_AT=" + at,
		"JPOPS_DRILL=" + drill,
		"JPOPS_ALERT_TEXT=" + r.Message(),
		"JPOPS_ALERT_JSON=" + string(js),
	}
}

// Notifier delivers one alert. Notify must honour ctx: the Dispatcher gives
// every attempt its own deadline.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, a Alert) error
}
