package flysim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jpops-dev/jpops/internal/flytoml"
)

// FlyctlVersion is what the stand-in flyctl reports.
const FlyctlVersion = "v0.3.209"

// Knobs for tests of a misbehaving flyctl.
const (
	EnvFlyctlHang  = "JPOPS_SIM_FLYCTL_HANG"  // "1": print the build block, then go silent until killed
	EnvFlyctlFlood = "JPOPS_SIM_FLYCTL_FLOOD" // N: print N bytes of build noise on stderr first
)

// flyctlPoll is how often (real time) the stand-in polls the deploy.
const flyctlPoll = 20 * time.Millisecond

// FlyctlMain is a stand-in flyctl for drills: `deploy --remote-only
// --strategy rolling -a APP` drives the simulator's rolling deploy through
// its control API and prints what flyctl deploy prints (build block and
// BuildKit lines on stderr, the rest on stdout); `version` prints a version.
// It reads FLY_FLAPS_BASE_URL and FLY_ACCESS_TOKEN/FLY_API_TOKEN through
// getenv. It returns flyctl's exit codes: 0, 1 on error, 127 on SIGINT.
func FlyctlMain(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runFlyctl(ctx, args, stdout, stderr, getenv)
}

// flyctlArgs is a parsed command line.
type flyctlArgs struct {
	command     string // deploy | version
	app         string
	token       string
	strategy    string
	waitTimeout string
	detach      bool
	image       string // -i/--image: deploy this pre-built image
}

// bool flags the stand-in accepts and ignores or honours.
var flyctlBoolFlags = map[string]bool{
	"--remote-only": true, "--local-only": true, "--detach": true, "--now": true, "-y": true, "--yes": true,
	"--verbose": true, "--debug": true, "--build-only": false, "--push": false,
}

// flyctlValueFlags take a value, as "--flag value" or "--flag=value".
var flyctlValueFlags = map[string]bool{
	"-a": true, "--app": true, "-c": true, "--config": true, "--strategy": true, "--wait-timeout": true,
	"--image-label": true, "-t": true, "--access-token": true, "--lease-timeout": true, "-i": true, "--image": true,
}

func parseFlyctlArgs(args []string) (flyctlArgs, error) {
	var fa flyctlArgs
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			if fa.command != "" {
				return fa, fmt.Errorf("unexpected argument %q", arg)
			}
			if arg != "deploy" && arg != "version" {
				return fa, fmt.Errorf("unknown command %q for \"flyctl\" (this stand-in knows deploy and version)", arg)
			}
			fa.command = arg
			continue
		}
		name, val, hasVal := strings.Cut(arg, "=")
		if ok, known := flyctlBoolFlags[name]; known {
			if !ok {
				return fa, fmt.Errorf("flag %s is not supported by the simulated flyctl", name)
			}
			if name == "--detach" {
				fa.detach = true
			}
			continue
		}
		if !flyctlValueFlags[name] {
			return fa, fmt.Errorf("unknown flag: %s", name)
		}
		if !hasVal {
			if i+1 >= len(args) {
				return fa, fmt.Errorf("flag needs an argument: %s", name)
			}
			i++
			val = args[i]
		}
		switch name {
		case "-a", "--app":
			fa.app = val
		case "-t", "--access-token":
			fa.token = val
		case "--strategy":
			if val != "rolling" && val != "immediate" && val != "canary" && val != "bluegreen" {
				return fa, fmt.Errorf("invalid deployment strategy %q", val)
			}
			fa.strategy = val
		case "--wait-timeout":
			fa.waitTimeout = val
		case "-i", "--image":
			fa.image = val
		}
	}
	if fa.command == "" {
		return fa, errors.New("no command given (this stand-in knows deploy and version)")
	}
	return fa, nil
}

func runFlyctl(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "Error: "+format+"\n", a...)
		return 1
	}
	fa, err := parseFlyctlArgs(args)
	if err != nil {
		return fail("%v", err)
	}
	if fa.command == "version" {
		fmt.Fprintf(stdout, "flyctl %s %s/%s Commit: flysim BuildDate: 2026-05-01T00:00:00Z\n", FlyctlVersion, runtime.GOOS, runtime.GOARCH)
		return 0
	}
	base := strings.TrimRight(getenv("FLY_FLAPS_BASE_URL"), "/")
	if base == "" {
		return fail("FLY_FLAPS_BASE_URL is not set: the simulated flyctl only talks to a simulated platform (start one with jpops sim serve)")
	}
	token := fa.token
	for _, k := range []string{"FLY_ACCESS_TOKEN", "FLY_API_TOKEN"} {
		if token == "" {
			token = getenv(k)
		}
	}
	if token = stripScheme(token); token == "" {
		return fail("no access token available. Please login with 'flyctl auth login'")
	}
	if fa.app == "" {
		fa.app = getenv("FLY_APP")
	}
	if fa.app == "" {
		return fail("the config for your app is missing an app name, add an app field to the fly.toml file or specify with the -a flag")
	}
	if fa.image == "" {
		// flyctl deploys [build] image of fly.toml instead of building.
		if f, err := flytoml.Load("."); err == nil {
			fa.image = f.Image
		}
	}
	c := &simClient{base: base, token: token, app: fa.app, http: &http.Client{Timeout: 10 * time.Second}}
	return (&deployPrinter{c: c, out: stdout, errw: stderr, app: fa.app, prebuilt: fa.image}).run(ctx, getenv)
}

// simClient talks to the control API.
type simClient struct {
	base, token, app string
	http             *http.Client
}

func (c *simClient) do(ctx context.Context, method string, body []byte) (DeployStatus, error) {
	var st DeployStatus
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/_sim/apps/"+c.app+"/deploy", bytes.NewReader(body))
	if err != nil {
		return st, err
	}
	scheme := "Bearer "
	if strings.HasPrefix(c.token, "fm1r_") || strings.HasPrefix(c.token, "fm1a_") || strings.HasPrefix(c.token, "fm2_") {
		scheme = "FlyV1 "
	}
	req.Header.Set("Authorization", scheme+c.token)
	req.Header.Set("User-Agent", "flyctl/"+FlyctlVersion)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return st, err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return st, &statusError{code: resp.StatusCode, msg: msg, requestID: resp.Header.Get("fly-request-id")}
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("decoding deploy status: %w", err)
	}
	return st, nil
}

type statusError struct {
	code           int
	msg, requestID string
}

func (e *statusError) Error() string {
	if e.requestID != "" {
		return fmt.Sprintf("%s (Request ID: %s)", e.msg, e.requestID)
	}
	return e.msg
}

// transient reports whether an error is worth another poll.
func transient(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code >= 500 || se.code == http.StatusTooManyRequests
	}
	return true // network errors, truncated bodies
}

// deployPrinter follows a deploy and prints flyctl's lines as it goes.
type deployPrinter struct {
	c         *simClient
	out, errw io.Writer
	app       string
	built     bool
	printed   map[string]int // machine id → rank of the last step printed
	outcome   string
	prebuilt  string // the pre-built image deployed; "" builds one
}

func (p *deployPrinter) run(ctx context.Context, getenv func(string) string) int {
	fmt.Fprint(p.errw, "==> Verifying app config\nValidating fly.toml\n✓ Configuration is valid\n--> Verified app config\n")
	var body []byte
	if p.prebuilt != "" {
		// A pre-built image: flyctl looks it up and prints no image: line.
		fmt.Fprintf(p.errw, "Searching for image '%s' remotely...\nimage found: img_%s\n", p.prebuilt, reverse(strings.ToLower(p.app))[:min(len(p.app), 8)])
		body, _ = json.Marshal(map[string]string{"image": p.prebuilt})
	} else {
		fmt.Fprint(p.errw, "==> Building image\nWaiting for depot builder...\n==> Building image with Depot\n")
	}
	if getenv(EnvFlyctlHang) == "1" {
		<-ctx.Done()
		return p.canceled(false)
	}
	if n, err := strconv.Atoi(getenv(EnvFlyctlFlood)); err == nil && n > 0 {
		floodNoise(p.errw, n)
	}
	st, err := p.c.do(ctx, http.MethodPost, body)
	if ctx.Err() != nil {
		return p.canceled(true) // the POST may have landed even if its answer did not
	}
	if err != nil {
		fmt.Fprintf(p.errw, "Error: failed to start deploy of %s: %v\n", p.app, err)
		return 1
	}
	p.outcome, p.printed = st.Outcome, map[string]int{}
	errorsInRow := 0
	for {
		if code, done := p.show(st); done {
			return code
		}
		select {
		case <-ctx.Done():
			return p.canceled(true)
		case <-time.After(flyctlPoll):
		}
		next, err := p.c.do(ctx, http.MethodGet, nil)
		switch {
		case ctx.Err() != nil:
			return p.canceled(true)
		case err == nil:
			st, errorsInRow = next, 0
		case transient(err) && errorsInRow < 20:
			errorsInRow++
		default:
			fmt.Fprintf(p.errw, "Error: failed to get deploy status: %v\n", err)
			return 1
		}
	}
}

// canceled is Ctrl-C: flyctl prints the context error and exits 127. An
// interrupted deploy stops replacing machines.
func (p *deployPrinter) canceled(started bool) int {
	if started {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		p.c.do(ctx, http.MethodDelete, nil) //nolint:errcheck // best effort on the way out
		cancel()
	}
	fmt.Fprintln(p.errw, "Error: context canceled")
	return 127
}

var stepRank = map[string]int{"pending": 0, "lease": 1, "replacing": 2, "starting": 3, "checking": 4, "good": 5, "updated": 5, "failed": 5}

// show prints whatever st has that was not printed yet, and reports the exit
// code once the deploy has finished.
func (p *deployPrinter) show(st DeployStatus) (code int, done bool) {
	if st.Phase == "building" {
		return 0, false
	}
	if !p.built {
		p.built = true
		if st.Outcome == OutcomeBuildFailed && st.Failed {
			fmt.Fprint(p.errw, "#11 exporting to image\n#11 ERROR: failed to receive status: rpc error: code = Unavailable desc = error reading from server: EOF\n")
			fmt.Fprintf(p.errw, "Error: %s\n", st.Error)
			return 1, true
		}
		if st.Phase == "interrupted" {
			fmt.Fprintf(p.errw, "Error: %s\n", st.Error)
			return 1, true
		}
		if !st.Prebuilt {
			short := strings.TrimPrefix(st.Digest, "sha256:")
			fmt.Fprintf(p.errw, "#11 exporting to image\n#11 exporting manifest %s done\n", st.Digest)
			fmt.Fprintf(p.errw, "#11 exporting config sha256:%s done\n", reverse(short))
			fmt.Fprintf(p.errw, "#11 pushing layers for %s@%s 0.2s done\n", st.Image, st.Digest)
			fmt.Fprintf(p.errw, "#11 pushing manifest for %s@%s 0.1s done\n#11 DONE 0.3s\n", st.Image, st.Digest)
			fmt.Fprintf(p.errw, "--> Build Summary:  ()\n--> Building image done\nimage: %s\nimage size: %s\n", st.Image, st.ImageSize)
		}
		fmt.Fprintf(p.out, "\nWatch your deployment at https://fly.io/apps/%s/monitoring\n\n", p.app)
		fmt.Fprint(p.out, "INFO Using wait timeout: 5m0s lease timeout: 13s delay between lease refreshes: 4s\n\n")
		fmt.Fprintf(p.out, "Updating existing machines in '%s' with rolling strategy\n", p.app)
	}
	n := len(st.Machines)
	for i, m := range st.Machines {
		to := stepRank[m.Step]
		for r := p.printed[m.ID] + 1; r <= to; r++ {
			for _, l := range p.stepLines(r, m.Step, m.ID) {
				fmt.Fprintf(p.out, "%s [%d/%d] %s\n", l[0], i+1, n, l[1])
			}
		}
		if to > p.printed[m.ID] {
			p.printed[m.ID] = to
		}
	}
	if !st.Done {
		return 0, false
	}
	if st.Failed {
		if st.Outcome == OutcomeHealthTimeout {
			fmt.Fprintf(p.out, "✖ Unrecoverable error: timeout reached waiting for health checks to pass\n")
		}
		fmt.Fprintf(p.errw, "Error: %s\n", st.Error)
		return 1, true
	}
	for i, m := range st.Machines {
		if p.printed[m.ID] > 0 {
			fmt.Fprintf(p.out, "✔ [%d/%d] Cleared lease for %s\n", i+1, n, m.ID)
		}
	}
	fmt.Fprintf(p.out, "Checking DNS configuration for %s.fly.dev\n✓ DNS configuration verified\n\nVisit your newly deployed app at https://%s.fly.dev/\n", p.app, p.app)
	return 0, true
}

// stepLines are flyctl's status lines (glyph, text) for reaching rank r on
// the way to step final.
func (p *deployPrinter) stepLines(r int, final, id string) [][2]string {
	app := id + " [app]"
	switch r {
	case 1:
		return [][2]string{{">", "Acquiring lease for " + id}}
	case 2:
		return [][2]string{{">", "Updating machine config for " + id}, {">", "Updating " + app}}
	case 3:
		return [][2]string{{">", "Waiting for " + app + " to have state: started"}}
	case 4:
		if p.outcome == OutcomeUnguarded {
			return nil // health is not awaited: see "updated"
		}
		return [][2]string{{">", "Machine " + app + " has state: started"}, {">", "Checking health of machine " + id}}
	}
	switch final {
	case "good":
		return [][2]string{{"✔", "Machine " + id + " is now in a good state"}}
	case "updated":
		return [][2]string{{">", "Machine " + app + " has state: started"}, {"✔", "Machine " + app + " update succeeded"}}
	case "failed":
		return [][2]string{{"✖", "Machine " + app + " update failed: timeout reached waiting for health checks to pass for machine " + id}}
	}
	return nil
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// floodNoise writes about n bytes of BuildKit-like progress lines.
func floodNoise(w io.Writer, n int) {
	for i := 0; n > 0; i++ {
		l := fmt.Sprintf("#7 %d.%03d Collecting autonomath-dep-%05d==1.%d.0 (from -r requirements.txt (line %d))\n", i/100, i%1000, i, i%10, i+1)
		if len(l) > n {
			l = l[:n]
		}
		io.WriteString(w, l) //nolint:errcheck
		n -= len(l)
	}
}
