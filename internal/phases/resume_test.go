package phases

import (
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
)

func TestPlanResume(t *testing.T) {
	const (
		old    = "registry.fly.io/app:deployment-OLD"
		newTag = "registry.fly.io/app:deployment-NEW"
		digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	)
	machine := func(id, image, state string) flyapi.Machine {
		ref := flyapi.ParseImageRef(image)
		return flyapi.Machine{ID: id, State: state, ImageRef: ref}
	}
	// view reduces a journal: the machines seen before the deploy, then the
	// escape phase's events.
	view := func(escape ...journal.Payload) *incident.View {
		evs := []journal.Event{
			journal.New("diagnose", journal.Machine{ID: "m1", Image: old}),
			journal.New("diagnose", journal.Machine{ID: "m2", Image: old}),
		}
		for _, p := range escape {
			evs = append(evs, journal.New("escape", p))
		}
		return incident.Reduce(evs)
	}
	start := journal.CommandStart{Argv: []string{"flyctl", "deploy"}}
	inDoubt := view(start)
	failed := view(start, journal.CommandExit{Code: 127})
	tests := []struct {
		name      string
		st        *incident.View
		machines  []flyapi.Machine
		step      ResumeStep
		image     string
		reasonHas string
	}{
		{"never deployed", view(), nil, ResumeWalk, "", "never started"},
		{"finished on record", view(start, journal.CommandExit{Image: newTag, Digest: digest}), nil, ResumeSmoke, digest, "flyctl exited 0"},
		{"in doubt, all new", inDoubt, []flyapi.Machine{machine("m1", newTag+"@"+digest, "started"), machine("m2", newTag+"@"+digest, "started")}, ResumeSmoke, newTag + "@" + digest, "the deploy finished"},
		{"in doubt, none new", inDoubt, []flyapi.Machine{machine("m1", old, "started"), machine("m2", old, "started")}, ResumeRedeploy, "", "no machine runs a new image"},
		{"in doubt, partway", inDoubt, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", old, "started")}, ResumeRedeploy, "", "1 of 2 machine(s) run the new image, m2 still"},
		{"interrupted, all new", failed, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", newTag, "stopped")}, ResumeSmoke, newTag, "flyctl exited 127, but all 2"},
		{"two new images", inDoubt, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", "registry.fly.io/app:deployment-OTHER", "started")}, ResumeRedeploy, "", "2 different new images"},
		{"destroyed machines do not count", inDoubt, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", old, "destroyed")}, ResumeSmoke, newTag, "all 1 machine(s)"},
		{"no machines", inDoubt, nil, ResumeRedeploy, "", "no active machine"},
		{"image printed before a failure", view(start, journal.CommandExit{Code: 1, Image: newTag}), []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", old, "started")}, ResumeRedeploy, "", "flyctl exited 1, and the rolling deploy stopped partway"},
		{"killed by a signal, all new", view(start, journal.CommandExit{Code: -1, Signal: "killed"}), []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", newTag, "started")}, ResumeSmoke, newTag, "flyctl was killed by a signal (killed), but all 2"},
		{"interrupted, none new", view(start, journal.CommandExit{Code: 127, Interrupted: true}), []flyapi.Machine{machine("m1", old, "started"), machine("m2", old, "started")}, ResumeRedeploy, "", "flyctl was interrupted and then exited 127, and no machine"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanResume(tc.st, tc.machines)
			if p.Step != tc.step || p.Image != tc.image {
				t.Errorf("step %s image %q, want %s %q (%s)", p.Step, p.Image, tc.step, tc.image, p.Reason)
			}
			if !strings.Contains(p.Reason, tc.reasonHas) {
				t.Errorf("reason %q lacks %q", p.Reason, tc.reasonHas)
			}
			if p.Step == ResumeSmoke && !strings.Contains(p.Reason, "nothing is deployed") {
				t.Errorf("a smoke plan does not say nothing is deployed: %q", p.Reason)
			}
		})
	}
}
