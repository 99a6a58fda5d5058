package phases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/health"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// SmokeFailure names what failed the smoke walk.
type SmokeFailure struct {
	Machine string `json:"machine"`
	Check   string `json:"check"` // image | state | checks | request | machines
	Request string `json:"request,omitempty"`
	Detail  string `json:"detail"`

	final bool // not worth another settle round: the API outage bound is spent
}

func (f *SmokeFailure) String() string {
	s := fmt.Sprintf("machine %s failed %s", f.Machine, f.Check)
	if f.Request != "" {
		s += " " + f.Request
	}
	return s + ": " + f.Detail
}

// Smoke runs phase 4 alone, against image (a digest or a tag ref).
func Smoke(ctx context.Context, o Options, image string) (Result, error) {
	e, err := newEngine(o)
	if err != nil {
		return Result{}, err
	}
	return e.smoke(e.observeRetries(ctx), image)
}

// smokeURL is where the app answers: --smoke-url, the runbook, or APP.fly.dev.
func (e *engine) smokeURL() string { return smokeBase(e.o) }

func smokeBase(o Options) string {
	var fromRunbook string
	if o.Runbook != nil {
		fromRunbook = o.Runbook.Smoke.BaseURL
	}
	for _, u := range []string{o.SmokeURL, fromRunbook} {
		if u != "" {
			return strings.TrimRight(strings.ReplaceAll(u, "{app}", o.App), "/")
		}
	}
	return "https://" + o.App + ".fly.dev"
}

// CheckSmokeURL checks, before anything is deployed, that the smoke walk
// could reach the app at all: a typo (htp:/..., file://...) found after the
// deploy leaves a mitigated outage unverified. It registers the URL's
// credentials, if any, with the redactor: they must never be printed.
func CheckSmokeURL(o Options) error {
	raw := smokeBase(o)
	redact.RegisterURLCredentials(raw)
	u, err := url.Parse(raw)
	switch {
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.Hostname() == "":
		return fmt.Errorf("smoke URL %q is not an http(s) URL with a host, like https://%s.fly.dev: fix --smoke-url, JPOPS_SMOKE_URL or the runbook's smoke.base_url",
			redact.String(raw), o.App)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("smoke URL %q has a query or fragment: the runbook's request paths are appended to it, so give the base URL only (fix --smoke-url, JPOPS_SMOKE_URL or smoke.base_url)",
			redact.String(raw))
	}
	return nil
}

// smoke runs phase 4: every active machine on the image, started, checks
// passing, answering every smoke request directly; then the same for the
// whole hold. It is the only way a run ends RECOVERED.
func (e *engine) smoke(ctx context.Context, image string) (Result, error) {
	const id = runbook.PhaseSmoke
	if err := e.phaseStart(id); err != nil {
		return Result{}, err
	}
	res := Result{Image: image}
	if image == "" {
		return e.smokeFailed(res, &SmokeFailure{Check: "image", Detail: "no image to verify against"})
	}
	if err := e.emit(id, journal.Note{Text: fmt.Sprintf("verifying every machine runs %s and answers at %s, then holding %s", image, e.smokeURL(), e.o.Hold)}); err != nil {
		return res, err
	}

	e.retriesDuring(id, "the settle")
	// Settle: the deploy has returned, but checks may lag a poll or two.
	deadline := e.o.Now().Add(e.o.Settle)
	var fail *SmokeFailure
	var api apiWatch
	for {
		var err error
		fail, err = e.smokeRound(ctx, image, true, &api)
		if err != nil {
			return res, err
		}
		if (fail == nil && !api.down()) || (fail != nil && fail.final) || e.o.Now().After(deadline) {
			break
		}
		if err := e.o.Sleep(ctx, e.o.Interval); err != nil {
			return res, err
		}
	}
	if fail == nil && api.down() {
		fail = api.failure(e.o.Now(), "before the stability hold")
	}
	if fail != nil {
		return e.smokeFailed(res, fail)
	}
	if err := e.noteRetries(id); err != nil {
		return res, err
	}
	e.retriesDuring(id, "the stability hold")

	// The stability hold. Progress is journaled at every tenth of the hold
	// (and its end), not at every poll: a fast poll must not flood the journal.
	// It ends only on a round that saw the machines: an API outage at the
	// end is waited out (up to smoke.api_outage), never counted as a pass.
	start := e.o.Now()
	nextMark, shown := time.Duration(0), -1.0
	for {
		elapsed := e.o.Now().Sub(start)
		remaining := e.o.Hold - elapsed
		if remaining < 0 {
			remaining = 0
		}
		if seconds(elapsed) != shown && (elapsed >= nextMark || remaining == 0) {
			nextMark, shown = elapsed+e.o.Hold/10, seconds(elapsed)
			if err := e.emit(id, journal.Hold{ElapsedS: seconds(elapsed), RemainingS: seconds(remaining), HoldS: seconds(e.o.Hold)}); err != nil {
				return res, err
			}
		}
		if remaining == 0 && !api.down() {
			break
		}
		if err := e.o.Sleep(ctx, max(min(e.o.Interval, remaining), min(e.o.Interval, time.Second))); err != nil {
			return res, err
		}
		fail, err := e.smokeRound(ctx, image, false, &api)
		if err != nil {
			return res, err
		}
		if fail != nil {
			fail.Detail += fmt.Sprintf(" (during the stability hold, after %s)", e.o.Now().Sub(start).Round(time.Second))
			return e.smokeFailed(res, fail)
		}
	}
	res.Verdict = verdict.Recovered
	res.Reason = fmt.Sprintf("every machine runs %s, passes its checks and answers the smoke requests; held %s", image, e.o.Hold)
	if err := e.phaseEnd(id, "passed", res.Reason); err != nil {
		return res, err
	}
	return res, e.verdict(id, res.Verdict, res.Reason, advice.Advice{})
}

func (e *engine) smokeFailed(res Result, f *SmokeFailure) (Result, error) {
	const id = runbook.PhaseSmoke
	res.Verdict, res.Failure = verdict.SmokeFailed, f
	if err := e.emit(id, journal.SmokeResult{Machine: f.Machine, Check: f.Check, Request: f.Request, OK: false, Detail: f.Detail}); err != nil {
		return res, err
	}
	res.Reason = "deployed, not verified: " + f.String()
	again := fmt.Sprintf("jpops smoke -a %s --image %s verifies again", e.o.App, res.Image)
	res.Next = advice.Cmd("read why it failed; once it is fixed, "+again, "flyctl", "logs", "-a", e.o.App, "-m", f.Machine, "--no-tail")
	if f.Machine == "" {
		res.Next = advice.Cmd("see which machines there are; "+again, "flyctl", "machine", "list", "-a", e.o.App)
	}
	if err := e.phaseEnd(id, "failed", res.Reason); err != nil {
		return res, err
	}
	return res, e.verdict(id, res.Verdict, res.Reason, res.Next)
}

// apiWatch follows how long the Machines API has been unreachable during
// the walk: a read that fails for a transient reason is retried at the next
// poll and journaled, and fails the walk only past smoke.api_outage.
type apiWatch struct {
	since   time.Time // first failed read of the current outage; zero when reachable
	lastErr error
	bound   time.Duration
}

func (a *apiWatch) down() bool { return !a.since.IsZero() }

func (a *apiWatch) failure(now time.Time, when string) *SmokeFailure {
	return &SmokeFailure{Check: "machines", final: true, Detail: fmt.Sprintf("the Machines API stayed unreachable for %s %s, past the %s the runbook allows (smoke.api_outage): %v",
		now.Sub(a.since).Round(time.Second), when, a.bound, a.lastErr)}
}

// smokeRule is which deployed machines must be started and serving: those
// the deploy starts (started, starting or failed before it, as flyctl's
// rolling deploy does), and any that runs now. Stopped, suspended and
// standby machines the deploy leaves as they were; they must only run the
// new image (docs/runbook.md, phase 4).
func (e *engine) smokeRule(m *flyapi.Machine) (serve bool, why string) {
	if prior, known := e.before[m.ID]; known {
		switch prior {
		case "started", "starting", "failed":
			return true, ""
		}
		if h := health.Of(m, e.o.Runbook.Checks, e.o.Now()); h.Class == health.Idle {
			return false, "was " + prior + " before the deploy, which leaves it so: " + h.Reason
		}
		return true, ""
	}
	if h := health.Of(m, e.o.Runbook.Checks, e.o.Now()); h.Class == health.Idle {
		return false, h.Reason
	}
	return true, ""
}

// imageMatch says whether the machine runs want, and by what: the tag, the
// digest, or both. The registry's manifest digest (image_ref.digest) need
// not be the one the build printed, so a matching tag is enough; a matching
// digest alone is the same image under another tag.
func imageMatch(m *flyapi.Machine, want flyapi.ImageRef) (bool, string) {
	digest := want.Digest != "" && strings.EqualFold(m.ImageRef.Digest, want.Digest)
	tag := want.Repository != "" && m.MatchesImage(want.String())
	switch {
	case tag && digest:
		return true, "tag and digest match"
	case tag && want.Digest != "" && m.ImageRef.Digest != "":
		return true, fmt.Sprintf("tag matches; its digest %s is not the %s the deploy printed (the registry's manifest digest)", m.ImageRef.Digest, want.Digest)
	case tag:
		return true, "tag matches"
	case digest:
		return true, "digest matches"
	}
	return false, "not the deployed image"
}

// smokeRound checks every machine the deploy updated once. While settling,
// failures are not journaled (the caller reports the last one); in the
// hold, only failures are.
func (e *engine) smokeRound(ctx context.Context, image string, settling bool, api *apiWatch) (*SmokeFailure, error) {
	const id = runbook.PhaseSmoke
	api.bound = e.o.Runbook.Smoke.APIOutage.Duration
	machines, err := e.o.Fly.ListMachines(ctx, e.o.App)
	if err != nil {
		if flyapi.IsAuth(err) || ctx.Err() != nil {
			return nil, err
		}
		now := e.o.Now()
		if !api.down() {
			api.since = now
		}
		api.lastErr = err
		if emitErr := e.emit(id, journal.Note{Text: fmt.Sprintf("cannot read the machines (%v); retrying: unreachable for %s of the %s allowed", err, now.Sub(api.since).Round(time.Second), api.bound)}); emitErr != nil {
			return nil, emitErr
		}
		if now.Sub(api.since) > api.bound {
			return api.failure(now, "during the smoke walk"), nil
		}
		return nil, nil
	}
	if api.down() {
		if err := e.emit(id, journal.Note{Text: fmt.Sprintf("the machines are readable again after %s", e.o.Now().Sub(api.since).Round(time.Second))}); err != nil {
			return nil, err
		}
		api.since, api.lastErr = time.Time{}, nil
	}
	want := flyapi.ParseImageRef(image)
	type result struct {
		machine, check, request, detail string
		ok                              bool
		status                          int
	}
	var results []result
	var leftAlone []string
	judged := 0
	var fail *SmokeFailure
	var shown []journal.SmokeMachine // each machine as the screen shows it
	show := func(m *flyapi.Machine, serve bool, checks []result) {
		sm := journal.SmokeMachine{ID: m.ID, Region: m.Region, State: m.State, Image: m.Image(), Good: true}
		sm.ChecksPassing, sm.ChecksTotal = m.ChecksPassing()
		asked, answered := false, true
		for _, c := range checks {
			switch c.check {
			case "image":
				sm.ImageOK = c.ok
			case "request":
				asked, answered = true, answered && c.ok
				continue
			}
			sm.Good = sm.Good && c.ok
		}
		switch {
		case !serve:
			sm.Requests = journal.RequestsLeftAlone
		case asked && answered:
			sm.Requests = journal.RequestsAnswered
		case asked:
			sm.Requests = journal.RequestsFailing
		}
		shown = append(shown, sm)
	}
	for i := range machines {
		m := &machines[i]
		if !health.Deployed(m) || (e.o.Machine != "" && m.ID != e.o.Machine) {
			continue
		}
		judged++
		ok, how := imageMatch(m, want)
		checks := []result{{machine: m.ID, check: "image", ok: ok, detail: "runs " + m.Image() + digestSuffix(m.ImageRef.Digest) + ": " + how}}
		serve, why := e.smokeRule(m)
		if !serve {
			leftAlone = append(leftAlone, m.ID+" ("+why+")")
		} else {
			passing, total := m.ChecksPassing()
			configured := health.ConfiguredChecks(m)
			checksOK := passing == total && (total > 0 || configured == 0)
			detail := fmt.Sprintf("checks %d/%d passing", passing, total)
			if total == 0 && configured > 0 {
				detail = fmt.Sprintf("no result yet for its %d configured check(s)", configured)
			}
			checks = append(checks,
				result{machine: m.ID, check: "state", ok: m.State == "started", detail: "state " + m.State},
				result{machine: m.ID, check: "checks", ok: checksOK, detail: detail})
		}
		if fail != nil && settling {
			show(m, serve, checks)
			continue // already failing this round; spare the app the requests
		}
		if serve {
			for _, r := range e.o.Runbook.Smoke.Requests {
				status, detail := e.request(ctx, m.ID, r)
				checks = append(checks, result{machine: m.ID, check: "request", request: r.Method + " " + r.Path, status: status, ok: status == r.Status, detail: detail})
			}
		}
		show(m, serve, checks)
		for _, c := range checks {
			results = append(results, c)
			if !c.ok && fail == nil {
				fail = &SmokeFailure{Machine: c.machine, Check: c.check, Request: c.request, Detail: c.detail}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		// Stopped while requests were in flight: they failed because they
		// were cancelled, which says nothing of the app.
		return nil, err
	}
	if judged == 0 && fail == nil {
		fail = &SmokeFailure{Check: "machines", Detail: "no machine of the app that a deploy updates"}
	}
	if err := e.showMachines(shown, settling); err != nil {
		return nil, err
	}
	if settling && fail != nil {
		return fail, nil // retried until the settle deadline; the caller reports the last one
	}
	if settling && len(leftAlone) > 0 {
		if err := e.emit(id, journal.Note{Text: "left alone, as the rolling deploy leaves them (they must run the new image, not serve): " + strings.Join(leftAlone, "; ")}); err != nil {
			return nil, err
		}
	}
	for _, r := range results {
		if !settling && r.ok {
			continue
		}
		if err := e.emit(id, journal.SmokeResult{
			Machine: r.machine, Check: r.check, Request: r.request, Status: r.status, OK: r.ok, Detail: r.detail,
		}); err != nil {
			return nil, err
		}
	}
	return fail, nil
}

// request sends one smoke request straight to one machine.
func (e *engine) request(ctx context.Context, machine string, r runbook.SmokeRequest) (int, string) {
	url := e.smokeURL() + r.Path
	req, err := http.NewRequestWithContext(ctx, r.Method, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("fly-force-instance-id", machine)
	req.Header.Set("User-Agent", "jpops-smoke")
	resp, err := sameHost(e.o.HTTP).Do(req)
	if err != nil {
		return 0, fmt.Sprintf("%s %s: %v", r.Method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	detail := fmt.Sprintf("%s %s → %d (want %d)", r.Method, url, resp.StatusCode, r.Status)
	if resp.StatusCode != r.Status {
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode/100 == 3 {
			detail += ": redirects to " + loc + " (another host: not followed; the smoke walk checks this app only)"
		} else if b := strings.TrimSpace(string(body)); b != "" {
			detail += ": " + firstLine(b)
		}
	}
	return resp.StatusCode, detail
}

// sameHost returns c following redirects only on the host it asked: a
// redirect elsewhere is what the app answered, reported as such, and the
// machine-pinning header must never reach another host.
func sameHost(c *http.Client) *http.Client {
	out := *c
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if req.URL.Host != via[0].URL.Host || via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return http.ErrUseLastResponse
		}
		if c.CheckRedirect != nil {
			return c.CheckRedirect(req, via)
		}
		return nil
	}
	return &out
}
