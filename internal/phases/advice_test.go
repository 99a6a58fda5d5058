package phases_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
)

// TestEveryAdviceIsACommandAndANote walks every way the engine ends or
// advises on the simulated platform and checks what it tells the operator:
// the command is one command safe to paste (advice.Check), or none; the
// prose is in the note, never in the command; and the journal holds the
// same two halves as the result.
func TestEveryAdviceIsACommandAndANote(t *testing.T) {
	const app = "autonomath-api"
	tests := []struct {
		name     string
		scenario string
		setup    func(t *testing.T, o *phases.Options, sim *flysim.Server)
		command  string // the result's command; a trailing space: a prefix
		note     string // part of the result's note; "" = no note
	}{
		{"hang confirmed, then recovered", "db-boot-hang", nil, "", ""},
		{"healthy", "healthy", nil, "", ""},
		{"not this incident", "other-failure", nil, "flyctl logs -a " + app + " --no-tail", "not the boot hang"},
		{"logs unreadable: refused at the verdict", "db-boot-hang", func(t *testing.T, o *phases.Options, sim *flysim.Server) {
			sim.SetFaults(flysim.Faults{LogsDown: true})
		}, "jpops diagnose -a " + app, "--force"},
		{"a boot op not yet a hang", "db-boot-hang", func(t *testing.T, o *phases.Options, _ *flysim.Server) {
			o.Runbook.BootOps[0].HangAfter.Duration = 24 * time.Hour
		}, "jpops diagnose -a " + app, "nothing was deployed"},
		{"the deploy fails", "deploy-fails", nil, "flyctl releases -a " + app, "deploys again after its typed gate"},
		{"the fix is missing: smoke fails", "fix-missing", nil, "flyctl logs -a " + app + " -m ", "jpops smoke -a " + app + " --image "},
		{"the operator refuses at the gate", "db-boot-hang", func(t *testing.T, o *phases.Options, _ *flysim.Server) {
			o.Yes = false
			o.Confirm = func(context.Context, phases.Gate) (bool, error) { return false, nil }
		}, "jpops run -a " + app, "when you are ready"},
		{"a dry run", "db-boot-hang", func(t *testing.T, o *phases.Options, _ *flysim.Server) { o.DryRun = true }, "jpops run -a " + app, "without --dry-run"},
		{"the boot script is unguarded", "db-boot-hang", func(t *testing.T, o *phases.Options, _ *flysim.Server) {
			o.Dir = deployDir(t, "entrypoint-unguarded.sh")
		}, "jpops audit ", "size check"},
		{"no fly.toml in --dir", "db-boot-hang", func(t *testing.T, o *phases.Options, _ *flysim.Server) {
			os.Remove(filepath.Join(o.Dir, "fly.toml"))
		}, "", "--config DIR"},
		{"no boot script in --dir", "db-boot-hang", func(t *testing.T, o *phases.Options, _ *flysim.Server) {
			o.Dir = t.TempDir()
			writeFlyToml(t, o.Dir)
		}, "", "nothing was deployed"},
		{"flyctl cannot be started", "db-boot-hang", func(t *testing.T, o *phases.Options, _ *flysim.Server) {
			o.Flyctl = []string{filepath.Join(t.TempDir(), "flyctl")}
		}, "", "install flyctl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, tt.scenario)
			if tt.setup != nil {
				tt.setup(t, &r.opts, r.sim)
			}
			res, err := phases.Run(r.ctx(), r.opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			got := res.Next
			if prefix, ok := strings.CutSuffix(tt.command, " "); ok {
				if !strings.HasPrefix(got.Command, prefix+" ") {
					t.Errorf("command %q, want one starting %q", got.Command, tt.command)
				}
			} else if got.Command != tt.command {
				t.Errorf("command %q, want %q", got.Command, tt.command)
			}
			if (tt.note == "") != (got.Note == "") || !strings.Contains(got.Note, tt.note) {
				t.Errorf("note %q, want one saying %q", got.Note, tt.note)
			}

			events := r.readBack()
			var all []advice.Advice
			for _, e := range kinds(events, journal.KindVerdict) {
				all = append(all, data[journal.Verdict](e).Advice())
			}
			ends := kinds(events, journal.KindIncidentEnd)
			if len(ends) != 1 {
				t.Fatalf("%d incident_end events", len(ends))
			}
			if end := data[journal.IncidentEnd](ends[0]).Advice(); end != got {
				t.Errorf("the journal's end says %+v, the result %+v", end, got)
			}
			for _, a := range append(all, got) {
				if a.Command != "" {
					if err := advice.Check(a.Command); err != nil {
						t.Errorf("advice command %q is not safe to paste: %v", a.Command, err)
					}
				}
				if strings.Contains(a.Note, "`") {
					t.Errorf("note %q quotes a command in backticks: a shell runs those", a.Note)
				}
			}
		})
	}
}
