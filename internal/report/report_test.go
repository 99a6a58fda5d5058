package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

var at = time.Date(2026, 5, 11, 12, 25, 3, 0, time.UTC)

func TestEventLine(t *testing.T) {
	tests := []struct {
		data journal.Payload
		want string
	}{
		{journal.Machine{ID: "85e273f4a1b2c3", Region: "nrt", State: "started", ChecksPassing: 0, ChecksTotal: 1, Image: "registry.fly.io/a:t", Signature: true},
			"12:25:03\tdiagnose\tmachine\tmachine 85e273f4a1b2c3 nrt started checks 0/1 registry.fly.io/a:t SIGNATURE"},
		{journal.Evidence{Machine: "85e2", Status: "hung", Op: "integrity_check", DB: "/data/autonomath.db", Timestamp: "2026-05-11T11:40:00Z", RunningForS: 2700, Line: "running integrity_check on /data/autonomath.db"},
			"12:25:03\tdiagnose\tevidence\tevidence 85e2 hung integrity_check on /data/autonomath.db (2026-05-11T11:40:00Z, 45m0s): running integrity_check on /data/autonomath.db"},
		{journal.Verdict{Verdict: "HANG_CONFIRMED", Reason: "r", Next: "jpops run -a app"},
			"12:25:03\tdiagnose\tverdict\tverdict HANG_CONFIRMED: r | next: jpops run -a app"},
		{journal.Precondition{Name: "boot_script", OK: false, Detail: "unguarded"},
			"12:25:03\tdiagnose\tprecondition\tprecondition boot_script FAIL: unguarded"},
		{journal.Gate{OK: true, ConfirmedBy: "--yes", Command: "flyctl deploy"},
			"12:25:03\tdiagnose\tgate\tgate confirmed by --yes: flyctl deploy"},
		{journal.CommandOutput{Stream: "stderr", Line: "a\nb\rc"},
			"12:25:03\tdiagnose\tcommand_output\tstderr| a b c"},
		{journal.CommandExit{Code: 1, Error: "flyctl exited 1\nlast lines"},
			"12:25:03\tdiagnose\tcommand_exit\tcommand exit 1 image  : flyctl exited 1"},
		{journal.CommandExit{Code: 127, Interrupted: true},
			"12:25:03\tdiagnose\tcommand_exit\tcommand exit 127 image   (after an interrupt)"},
		{journal.CommandExit{Code: -1, Signal: "killed", Interrupted: true},
			"12:25:03\tdiagnose\tcommand_exit\tcommand exit -1 image   (killed by a signal: killed)"},
		{journal.Hold{ElapsedS: 60, HoldS: 300, RemainingS: 240},
			"12:25:03\tdiagnose\thold\thold 1m0s of 5m0s, 4m0s left"},
		{journal.IncidentEnd{Verdict: "RECOVERED", ExitCode: 0},
			"12:25:03\tdiagnose\tincident_end\tend RECOVERED (exit 0)"},
	}
	for _, tt := range tests {
		ev := journal.New("diagnose", tt.data)
		ev.TS = at
		got := EventLine(ev)
		if got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", ev.Kind, got, tt.want)
		}
		if strings.ContainsAny(got, "\n\r\x1b") {
			t.Errorf("%s: line is not one plain line: %q", ev.Kind, got)
		}
	}
}

func sample() Diagnosis {
	return Diagnosis{
		Verdict: verdict.HangConfirmed, App: "autonomath-api", Reason: "integrity_check has run 45m", Next: "jpops run -a autonomath-api",
		Machines: []phases.MachineView{{ID: "85e273f4a1b2c3", Region: "nrt", State: "started", ChecksPassing: 0, ChecksTotal: 1, Image: "registry.fly.io/autonomath-api:deployment-01K", Signature: true, SinceS: 2700, Health: "signature"}},
		Evidence: []phases.Evidence{{Machine: "85e273f4a1b2c3", Timestamp: "2026-05-11T11:40:00Z", Op: "integrity_check", DB: "/data/autonomath.db", Line: "running integrity_check on /data/autonomath.db", RunningForS: 2700, Status: "hung"}},
	}
}

func TestPlainDiagnosis(t *testing.T) {
	var b bytes.Buffer
	PlainDiagnosis(&b, sample())
	want := "machine\t85e273f4a1b2c3\tnrt\tstarted\t0/1\tregistry.fly.io/autonomath-api:deployment-01K\tsignature=true\n" +
		"evidence\t85e273f4a1b2c3\thung\tintegrity_check\t/data/autonomath.db\t2026-05-11T11:40:00Z\t2700\trunning integrity_check on /data/autonomath.db\n" +
		"verdict\tHANG_CONFIRMED\tintegrity_check has run 45m\n" +
		"next\tjpops run -a autonomath-api\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestHumanDiagnosis(t *testing.T) {
	var plain, styled bytes.Buffer
	HumanDiagnosis(&plain, sample(), Styler{})
	for _, want := range []string{"Machines of autonomath-api", "85e273f4a1b2c3", "0/1", "autonomath-api:deployment-01K", "yes (started 45m0s ago", "HUNG integrity_check on /data/autonomath.db, running 45m0s", "Verdict: HANG_CONFIRMED", "Next: jpops run -a autonomath-api"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, plain.String())
		}
	}
	if strings.Contains(plain.String(), "\x1b") {
		t.Error("an unstyled report carries escape codes")
	}
	mark := func(s string) string { return "<" + s + ">" }
	HumanDiagnosis(&styled, sample(), Styler{Bold: mark, Bad: mark, Good: mark, Warn: mark, Faint: mark})
	if !strings.Contains(styled.String(), "<<Verdict: HANG_CONFIRMED>>") {
		t.Errorf("verdict not styled:\n%s", styled.String())
	}
}

func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// The fields outside scripts rely on.
	for _, k := range []string{"verdict", "app", "machines", "evidence"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in %s", k, b.String())
		}
	}
	m := got["machines"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "region", "state", "checks_passing", "checks_total", "image", "signature"} {
		if _, ok := m[k]; !ok {
			t.Errorf("machine has no %q", k)
		}
	}
	e := got["evidence"].([]any)[0].(map[string]any)
	for _, k := range []string{"machine", "timestamp", "op", "db", "line", "running_for_s"} {
		if _, ok := e[k]; !ok {
			t.Errorf("evidence has no %q", k)
		}
	}
}

// A machine whose logs could not be read is named by every face.
func TestUnreadIsNamed(t *testing.T) {
	d := sample()
	d.Unread = []phases.Unread{{Machine: "e2865b1c44d398", Error: "get logs of app autonomath-api: Fly API answered 503 Service Unavailable (after 6 attempts)"}}
	var plain, human, js bytes.Buffer
	PlainDiagnosis(&plain, d)
	HumanDiagnosis(&human, d, Styler{})
	if err := JSON(&js, d); err != nil {
		t.Fatal(err)
	}
	if want := "unread\te2865b1c44d398\tget logs of app autonomath-api: Fly API answered 503 Service Unavailable (after 6 attempts)\n"; !strings.Contains(plain.String(), want) {
		t.Errorf("plain lines lack %q:\n%s", want, plain.String())
	}
	if !strings.Contains(human.String(), "Logs not read (1 machine)") || !strings.Contains(human.String(), "e2865b1c44d398  get logs") {
		t.Errorf("the report does not name the unread machine:\n%s", human.String())
	}
	var got struct {
		Unread []phases.Unread `json:"unread"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || len(got.Unread) != 1 || got.Unread[0] != d.Unread[0] {
		t.Errorf("JSON unread = %+v (%v), want %+v", got.Unread, err, d.Unread)
	}
}
