package phases

import (
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/flyapi"
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
	prior := map[string]string{"m1": old, "m2": old}
	inDoubt := journal.ResumeState{DeployStarted: true, PriorImages: prior}
	failed := journal.ResumeState{DeployStarted: true, DeployExited: true, DeployExitCode: 127, PriorImages: prior}
	tests := []struct {
		name      string
		st        journal.ResumeState
		machines  []flyapi.Machine
		step      ResumeStep
		image     string
		reasonHas string
	}{
		{"never deployed", journal.ResumeState{}, nil, ResumeWalk, "", "never started"},
		{"finished on record", journal.ResumeState{DeployStarted: true, DeployExited: true, Image: newTag, Digest: digest}, nil, ResumeSmoke, digest, "flyctl exited 0"},
		{"in doubt, all new", inDoubt, []flyapi.Machine{machine("m1", newTag+"@"+digest, "started"), machine("m2", newTag+"@"+digest, "started")}, ResumeSmoke, newTag + "@" + digest, "the deploy finished"},
		{"in doubt, none new", inDoubt, []flyapi.Machine{machine("m1", old, "started"), machine("m2", old, "started")}, ResumeRedeploy, "", "no machine runs a new image"},
		{"in doubt, partway", inDoubt, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", old, "started")}, ResumeRedeploy, "", "1 of 2 machine(s) run the new image, m2 still"},
		{"interrupted, all new", failed, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", newTag, "stopped")}, ResumeSmoke, newTag, "flyctl exited 127, but all 2"},
		{"two new images", inDoubt, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", "registry.fly.io/app:deployment-OTHER", "started")}, ResumeRedeploy, "", "2 different new images"},
		{"destroyed machines do not count", inDoubt, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", old, "destroyed")}, ResumeSmoke, newTag, "all 1 machine(s)"},
		{"no machines", inDoubt, nil, ResumeRedeploy, "", "no active machine"},
		{"image printed before the kill", journal.ResumeState{DeployStarted: true, Image: newTag, PriorImages: prior}, []flyapi.Machine{machine("m1", newTag, "started"), machine("m2", old, "started")}, ResumeRedeploy, "", "stopped partway"},
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
