package phases

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/incident"
)

// ResumeStep is what resume can do next for an incident.
type ResumeStep string

const (
	// ResumeWalk walks phases 1 → 4 again: the deploy never started, so
	// the gate asks again before anything is deployed.
	ResumeWalk ResumeStep = "walk"
	// ResumeSmoke goes straight to the smoke walk against Image: the deploy
	// finished, and nothing will be deployed.
	ResumeSmoke ResumeStep = "smoke"
	// ResumeRedeploy walks phases 1 → 4 again, the deploy included, behind
	// the gate: the deploy stopped partway or never reached a machine, so
	// the smoke walk could only fail.
	ResumeRedeploy ResumeStep = "redeploy"
)

// ResumePlan is what is true now and the one step that can work.
type ResumePlan struct {
	Step   ResumeStep
	Image  string // the image the smoke walk verifies (ResumeSmoke)
	Reason string // what the journal and the Machines API say, in a sentence

	OnNew, OnOld []string // machine ids on the deploy's image, and on their pre-deploy one
}

// PlanResume decides how an interrupted incident goes on, from its journal
// and, when the journal cannot tell (the deploy started but its end is not
// on record, or it stopped with an error), from the machines the Machines
// API lists now. machines is ignored when the journal settles it.
func PlanResume(st *incident.View, machines []flyapi.Machine) ResumePlan {
	recorded := st.Digest
	if recorded == "" {
		recorded = st.Image
	}
	switch {
	case st.Deploy() == nil:
		return ResumePlan{Step: ResumeWalk, Reason: "the deploy never started: phases 1–2 run again and the gate asks before anything is deployed"}
	case st.Deployed() && recorded != "":
		return ResumePlan{Step: ResumeSmoke, Image: recorded, Reason: "the deploy finished (flyctl exited 0) with " + recorded + ": on to the smoke walk; nothing is deployed"}
	}
	return planFromMachines(st, recorded, machines)
}

func planFromMachines(st *incident.View, recorded string, machines []flyapi.Machine) ResumePlan {
	var p ResumePlan
	newImages := map[string]bool{}
	active := 0
	for i := range machines {
		m := &machines[i]
		if !m.Active() || (st.Start.Machine != "" && m.ID != st.Start.Machine) {
			continue
		}
		active++
		var onNew bool
		if recorded != "" {
			onNew = m.MatchesImage(recorded)
		} else {
			onNew = !onPriorImage(m, st.Prior)
		}
		if onNew {
			p.OnNew = append(p.OnNew, m.ID)
			newImages[m.ImageRef.Ref()] = true
		} else {
			p.OnOld = append(p.OnOld, m.ID)
		}
	}
	ended := "flyctl's end is not on record"
	if d := st.Deploy(); d != nil && d.Exited {
		ended = "flyctl " + d.Ended()
	}
	switch {
	case active == 0:
		p.Step, p.Reason = ResumeRedeploy, ended+", and the Machines API lists no active machine: nothing to verify; deploy again"
	case len(p.OnOld) == 0 && len(newImages) == 1:
		for img := range newImages {
			p.Image = img
		}
		if recorded != "" {
			p.Image = recorded
		}
		p.Step = ResumeSmoke
		p.Reason = fmt.Sprintf("%s, but all %d machine(s) run %s, not their pre-deploy images: the deploy finished; on to the smoke walk, nothing is deployed", ended, active, p.Image)
	case len(p.OnOld) == 0:
		p.Step = ResumeRedeploy
		p.Reason = fmt.Sprintf("%s, and the machines run %d different new images (%s): deploy again so they all run one", ended, len(newImages), strings.Join(sortedKeys(newImages), ", "))
	case len(p.OnNew) == 0:
		p.Step = ResumeRedeploy
		p.Reason = fmt.Sprintf("%s, and no machine runs a new image (%s still on the pre-deploy one): the deploy did not reach them; deploy again", ended, strings.Join(p.OnOld, ", "))
	default:
		p.Step = ResumeRedeploy
		p.Reason = fmt.Sprintf("%s, and the rolling deploy stopped partway: %d of %d machine(s) run the new image, %s still the pre-deploy one; deploy again", ended, len(p.OnNew), active, strings.Join(p.OnOld, ", "))
	}
	return p
}

// onPriorImage reports whether m still runs the image journaled for it
// before the deploy; a machine with none on record (created since) is not.
func onPriorImage(m *flyapi.Machine, prior map[string]string) bool {
	img, ok := prior[m.ID]
	return ok && img != "" && m.MatchesImage(img)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
