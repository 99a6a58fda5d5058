package phases_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

func TestDiagnoseScenarios(t *testing.T) {
	tests := []struct {
		scenario  string
		want      verdict.Verdict
		signature int  // machines carrying the signature
		hung      bool // evidence of a hung integrity_check on the DB
	}{
		{"db-boot-hang", verdict.HangConfirmed, 2, true},
		{"healthy", verdict.Healthy, 0, false},
		{"other-failure", verdict.NotThisIncident, 0, false},
		{"deploy-fails", verdict.HangConfirmed, 2, true},
		{"fix-missing", verdict.HangConfirmed, 2, true},
		{"flaky-api", verdict.HangConfirmed, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, tt.scenario)
			d, err := phases.Diagnose(r.ctx(), r.opts)
			if err != nil {
				t.Fatalf("Diagnose: %v", err)
			}
			if d.Verdict != tt.want {
				t.Fatalf("verdict %s (%s), want %s", d.Verdict, d.Reason, tt.want)
			}
			if len(d.Machines) != 2 {
				t.Fatalf("%d machines, want 2: %+v", len(d.Machines), d.Machines)
			}
			sig := 0
			for _, m := range d.Machines {
				if m.ID == "" || m.Region != "nrt" || m.Image == "" || m.ChecksTotal == 0 {
					t.Errorf("machine view incomplete: %+v", m)
				}
				if m.Signature {
					sig++
					if m.State != "started" || m.ChecksPassing == m.ChecksTotal || m.SinceS <= 60 {
						t.Errorf("signature machine without the signature: %+v", m)
					}
				}
			}
			if sig != tt.signature {
				t.Errorf("%d signature machines, want %d", sig, tt.signature)
			}
			hung := 0
			for _, ev := range d.Evidence {
				if ev.Op == "integrity_check" && ev.DB == "/data/autonomath.db" && ev.Status == "hung" && ev.RunningForS > 300 {
					hung++
				}
			}
			if tt.hung && hung != tt.signature {
				t.Errorf("hung integrity_check evidence for %d machines, want %d: %+v", hung, tt.signature, d.Evidence)
			}
			if !tt.hung && hung != 0 {
				t.Errorf("unexpected hang evidence: %+v", d.Evidence)
			}
			got := r.readBack()
			if n := len(kinds(got, journal.KindMachine)); n != 2 {
				t.Errorf("%d machine events journaled, want 2", n)
			}
			if n := len(kinds(got, journal.KindEvidence)); n != len(d.Evidence) {
				t.Errorf("%d evidence events journaled, %d in the diagnosis", n, len(d.Evidence))
			}
		})
	}
}

func TestRunScenarios(t *testing.T) {
	escapeFailed := concat([]string{"incident/incident_start"}, diagnoseHang, []string{
		"escape/phase_start", "escape/gate:--yes", "escape/command_start", "escape/command_exit",
		"escape/phase_end:failed", "escape/verdict:ESCAPE_FAILED",
		"smoke/phase_end:skipped", "incident/incident_end:ESCAPE_FAILED",
	})
	smokeFailed := concat([]string{"incident/incident_start"}, diagnoseHang, []string{
		"escape/phase_start", "escape/gate:--yes", "escape/command_start", "escape/command_exit", "escape/phase_end:passed",
		"smoke/phase_start", "smoke/phase_end:failed", "smoke/verdict:SMOKE_FAILED",
		"incident/incident_end:SMOKE_FAILED",
	})
	stopAfterDiagnose := func(v string) []string {
		return []string{"incident/incident_start", "diagnose/phase_start", "diagnose/phase_end:passed", "diagnose/verdict:" + v,
			"escape/phase_end:skipped", "smoke/phase_end:skipped", "incident/incident_end:" + v}
	}
	tests := []struct {
		scenario string
		want     verdict.Verdict
		exit     int
		skeleton []string
	}{
		{"db-boot-hang", verdict.Recovered, 0, recoveredWalk},
		{"healthy", verdict.Healthy, 0, stopAfterDiagnose("HEALTHY")},
		{"other-failure", verdict.NotThisIncident, 12, stopAfterDiagnose("NOT_THIS_INCIDENT")},
		{"deploy-fails", verdict.EscapeFailed, 20, escapeFailed},
		{"fix-missing", verdict.SmokeFailed, 30, smokeFailed},
		{"flaky-api", verdict.Recovered, 0, recoveredWalk},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, tt.scenario)
			if tt.want == verdict.SmokeFailed {
				r.opts.Settle = 3 * time.Minute
			}
			res, err := phases.Run(r.ctx(), r.opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Verdict != tt.want || exitCode(res, err) != tt.exit {
				t.Fatalf("verdict %s exit %d (%s), want %s exit %d", res.Verdict, exitCode(res, err), res.Reason, tt.want, tt.exit)
			}
			got := r.readBack()
			wantSkeleton(t, got, tt.skeleton)
			end := got[len(got)-1]
			if end.Kind != journal.KindIncidentEnd || data[journal.IncidentEnd](end).ExitCode != tt.exit {
				t.Errorf("last event %s %v, want incident_end with exit_code %d", end.Kind, end.Data, tt.exit)
			}
			if tt.want == verdict.Recovered && (res.Image == "" || res.Digest == "") {
				t.Errorf("recovered without the deployed image: %+v", res)
			}
			if tt.want == verdict.SmokeFailed && (res.Failure == nil || res.Failure.Machine == "") {
				t.Errorf("smoke failure names no machine: %+v", res.Failure)
			}
		})
	}
}

func TestGateRefusedAborts(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	r.opts.Yes = false
	var asked phases.Gate
	r.opts.Confirm = func(_ context.Context, g phases.Gate) (bool, error) { asked = g; return false, nil }
	res, err := phases.Run(r.ctx(), r.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Verdict != verdict.Aborted || exitCode(res, err) != 40 {
		t.Fatalf("verdict %s exit %d, want ABORTED 40", res.Verdict, exitCode(res, err))
	}
	if asked.Expect != r.opts.App || !strings.Contains(asked.Command, "deploy --remote-only --strategy rolling -a "+r.opts.App) {
		t.Errorf("gate asked %+v", asked)
	}
	got := r.readBack()
	wantSkeleton(t, got, concat([]string{"incident/incident_start"}, diagnoseHang, []string{
		"escape/phase_start", "escape/gate:operator", "escape/phase_end:failed", "escape/abort",
		"smoke/phase_end:skipped", "incident/incident_end:ABORTED",
	}))
	if n := len(kinds(got, journal.KindCommandStart)); n != 0 {
		t.Errorf("a refused gate ran the deploy (%d command_start)", n)
	}
}

func TestGateWithoutConfirmer(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	r.opts.Yes = false
	res, err := phases.Run(r.ctx(), r.opts)
	if !errors.Is(err, phases.ErrNoConfirmer) {
		t.Fatalf("Run = %v, %v; want ErrNoConfirmer", res.Verdict, err)
	}
	got := r.readBack()
	gates := kinds(got, journal.KindGate)
	if len(gates) != 1 || data[journal.Gate](gates[0]).OK {
		t.Errorf("gate events %+v, want one refused gate", gates)
	}
	if n := len(kinds(got, journal.KindCommandStart)); n != 0 {
		t.Errorf("deploy ran without a confirmation")
	}
}

func TestDryRunDeploysNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	r.opts.DryRun = true
	res, err := phases.Run(r.ctx(), r.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Verdict != verdict.HangConfirmed {
		t.Errorf("dry run verdict %s, want HANG_CONFIRMED", res.Verdict)
	}
	got := r.readBack()
	if n := len(kinds(got, journal.KindCommandStart)) + len(kinds(got, journal.KindGate)); n != 0 {
		t.Errorf("dry run journaled %d gate/command_start events", n)
	}
	if !strings.Contains(res.Reason, "would run") {
		t.Errorf("dry run reason %q does not say what would run", res.Reason)
	}
}

func TestForceOnInconclusive(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	// Machines that have been started a shorter time than hang_after: the
	// full-scan op is running but not yet a hang, so the verdict is INCONCLUSIVE.
	r.opts.Runbook.BootOps[0].HangAfter.Duration = 24 * time.Hour
	r.opts.Force = true
	res, err := phases.Run(r.ctx(), r.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Verdict != verdict.Recovered {
		t.Errorf("forced run verdict %s (%s), want RECOVERED", res.Verdict, res.Reason)
	}
	got := r.readBack()
	var forced bool
	for _, e := range kinds(got, journal.KindPrecondition) {
		if d := data[journal.Precondition](e); d.Name == "verdict" && d.Forced && d.ConfirmedBy == "--force" {
			forced = true
		}
	}
	if !forced {
		t.Errorf("the --force override of an INCONCLUSIVE verdict is not journaled")
	}
	if v := kinds(got, journal.KindVerdict); len(v) == 0 || data[journal.Verdict](v[0]).Verdict != verdict.Inconclusive {
		t.Errorf("diagnosis verdicts %+v, want INCONCLUSIVE first", v)
	}
}

func TestUnguardedBootScriptRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	r.opts.Dir = deployDir(t, "entrypoint-unguarded.sh")
	if findings := runRefusedForBootScript(t, r); len(findings) == 0 {
		t.Errorf("no failed boot_script precondition with findings journaled")
	}
}

// runRefusedForBootScript runs the walk, which must end ESCAPE_FAILED naming
// integrity_check without running a deploy, and returns the findings of the
// last failed boot_script precondition journaled.
func runRefusedForBootScript(t *testing.T, r *rig) []string {
	t.Helper()
	res, err := phases.Run(r.ctx(), r.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Verdict != verdict.EscapeFailed || !strings.Contains(res.Reason, "integrity_check") {
		t.Fatalf("verdict %s (%s), want ESCAPE_FAILED naming integrity_check", res.Verdict, res.Reason)
	}
	got := r.readBack()
	var findings []string
	for _, e := range kinds(got, journal.KindPrecondition) {
		if d := data[journal.Precondition](e); d.Name == "boot_script" && !d.OK {
			findings = d.Findings
		}
	}
	if n := len(kinds(got, journal.KindCommandStart)); n != 0 {
		t.Errorf("deploy ran (%d command_start) with a boot script that still hangs", n)
	}
	return findings
}

func TestFlyctlMissingEscapeFails(t *testing.T) {
	for _, tt := range []struct {
		name   string
		flyctl func(t *testing.T) []string
	}{
		{"not found on PATH", func(*testing.T) []string { return nil }},
		{"path does not exist", func(t *testing.T) []string { return []string{filepath.Join(t.TempDir(), "flyctl")} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, "db-boot-hang")
			r.opts.Flyctl = tt.flyctl(t)
			res, err := phases.Run(r.ctx(), r.opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Verdict != verdict.EscapeFailed || exitCode(res, err) != 20 {
				t.Fatalf("verdict %s exit %d, want ESCAPE_FAILED 20", res.Verdict, exitCode(res, err))
			}
			if !strings.Contains(res.Reason, "flyctl") {
				t.Errorf("reason %q does not name flyctl", res.Reason)
			}
			r.readBack()
		})
	}
}

func TestSmokeWrongImage(t *testing.T) {
	t.Parallel()
	r := newRig(t, "healthy")
	r.opts.Settle = time.Minute
	res, err := phases.Smoke(r.ctx(), r.opts, "registry.fly.io/autonomath-api:deployment-01WRONG")
	if err != nil {
		t.Fatalf("Smoke: %v", err)
	}
	if res.Verdict != verdict.SmokeFailed || exitCode(res, err) != 30 {
		t.Fatalf("verdict %s, want SMOKE_FAILED", res.Verdict)
	}
	if res.Failure == nil || res.Failure.Check != "image" || res.Failure.Machine != r.sim.MachineIDs()[0] {
		t.Fatalf("failure %+v, want the image check of machine %s", res.Failure, r.sim.MachineIDs()[0])
	}
	if !strings.Contains(res.Reason, res.Failure.Machine) || !strings.Contains(res.Reason, "image") {
		t.Errorf("reason %q does not name the machine and the image check", res.Reason)
	}
	r.readBack()
}

// interruptAfterDeploy runs db-boot-hang until the deploy has exited, then
// cancels, as an operator's Ctrl-C would: the journal is left for resume.
func interruptAfterDeploy(t *testing.T, r *rig) {
	t.Helper()
	ctx, cancel := context.WithCancel(r.ctx())
	defer cancel()
	r.onEvent = func(e journal.Event) {
		if e.Kind == journal.KindCommandExit {
			cancel()
		}
	}
	_, err := phases.Run(ctx, r.opts)
	r.onEvent = nil
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Run = %v, want context.Canceled", err)
	}
}

func TestContinueSkipDeploy(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	interruptAfterDeploy(t, r)
	before := len(r.readBack())
	st := incident.Reduce(r.readBack())
	if d := st.Deploy(); d == nil || !d.Exited || st.Digest == "" {
		t.Fatalf("resume state %+v: deploy not on record", st)
	}
	r.opts.SkipDeploy, r.opts.ResumeImage = true, st.Digest
	res, err := phases.Continue(r.ctx(), r.opts)
	if err != nil {
		t.Fatalf("Continue: %v", err)
	}
	if res.Verdict != verdict.Recovered || res.Image != st.Digest {
		t.Fatalf("verdict %s image %q (%s), want RECOVERED on %s", res.Verdict, res.Image, res.Reason, st.Digest)
	}
	got := r.readBack()
	resumed := got[before:]
	if n := len(kinds(resumed, journal.KindCommandStart)); n != 0 {
		t.Errorf("resume ran the deploy again")
	}
	wantSkeleton(t, resumed, []string{"escape/phase_end:skipped", "smoke/phase_start", "smoke/phase_end:passed", "smoke/verdict:RECOVERED", "incident/incident_end:RECOVERED"})
}

func TestJournalFailureStopsRun(t *testing.T) {
	for _, at := range []string{journal.KindPhaseStart, journal.KindEvidence, journal.KindCommandStart, journal.KindCommandOutput, journal.KindHold} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, "db-boot-hang")
			var closedAt int
			r.onEvent = func(e journal.Event) {
				if e.Kind == at && closedAt == 0 {
					closedAt = e.Seq
					r.jr.Close()
				}
			}
			res, err := phases.Run(r.ctx(), r.opts)
			if err == nil || !strings.Contains(err.Error(), "journal") {
				t.Fatalf("Run = %s, %v; want a journal error", res.Verdict, err)
			}
			if strings.Count(err.Error(), "journal:") > 1 {
				t.Errorf("error %q says \"journal:\" more than once", err)
			}
			if exitCode(res, err) != 1 {
				t.Errorf("exit %d, want 1", exitCode(res, err))
			}
			got := r.readBack()
			if len(got) != closedAt || len(r.events()) != closedAt {
				t.Errorf("journal holds %d events and %d were reported, want %d: the run went on without its journal", len(got), len(r.events()), closedAt)
			}
		})
	}
}

func TestMissingApp(t *testing.T) {
	r := newRig(t, "healthy")
	r.opts.App = ""
	if _, err := phases.Run(r.ctx(), r.opts); err == nil || !strings.Contains(err.Error(), "-a APP") {
		t.Fatalf("Run without an app = %v, want a hint naming -a APP", err)
	}
	if _, err := os.Stat(r.jr.Path()); err != nil {
		t.Fatal(err)
	}
}

// A boot script that sources a file not in the deploy directory still
// passes the audit (a venv's activate script is not there either), but
// the journaled precondition says what was not read, and the deploy runs.
func TestUnreadSourceIsJournaled(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	r.opts.Dir = deployDir(t, "entrypoint.sh")
	p := filepath.Join(r.opts.Dir, "entrypoint.sh")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append([]byte(". /app/venv/bin/activate\n"), b...), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := phases.Run(r.ctx(), r.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Verdict != verdict.Recovered {
		t.Fatalf("verdict %s (%s), want RECOVERED", res.Verdict, res.Reason)
	}
	var detail string
	for _, e := range kinds(r.readBack(), journal.KindPrecondition) {
		if d := data[journal.Precondition](e); d.Name == "boot_script" && d.OK {
			detail = d.Detail
		}
	}
	if !strings.Contains(detail, "1 sourced file(s) not audited") || !strings.Contains(detail, "/app/venv/bin/activate") {
		t.Errorf("boot_script precondition detail %q does not name the unread source", detail)
	}
}
