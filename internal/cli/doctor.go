package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// drillMaxAge is how old the last drill may be before doctor nags.
const drillMaxAge = 30 * 24 * time.Hour

// Check statuses.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "fail"
)

// doctorCheck is one preflight line.
type doctorCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

const fixToken = "flyctl auth login or set FLY_API_TOKEN"

// DoctorOptions are the doctor command's.
type DoctorOptions struct {
	IO       *iostreams.IOStreams
	Getenv   func(string) string
	Lookup   func(string) (string, bool) // tells a variable set to "" from one unset
	Now      func() time.Time
	Home     string
	Runbook  func() (*runbook.Runbook, error)
	StateDir func() (string, error)

	Token       string // -t, for the token check
	RunbookPath string // --runbook, to name the runbook's source
	App         string // "": not known; the app checks are skipped
	AppErr      error  // why the app is not known
	Flyctl      string
	JSON        bool

	ctx context.Context
}

// NewCmdDoctor is the preflight.
func NewCmdDoctor(f *Factory, runF func(*DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{IO: f.IO, Runbook: f.Runbook, StateDir: f.StateDir}
	var af appFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Preflight: flyctl, token, API, app, runbook, state directory, last drill",
		Long: `Checks, before an incident needs them, everything jpops relies on: flyctl found
and its version, a Fly token found (its source is named, never the token) and
accepted by the API, the app visible, the runbook valid, the state directory
writable, and when the runbook was last drilled.

Each line reads: ok|warn|fail  CHECK  DETAIL  fix: WHAT TO DO.` + exitCodes(
			exitOK("every check passed, or only warned"),
			exit(verdict.ExitError, "a check failed"),
			exit(verdict.ExitUsage, "usage: bad flags or arguments")),
		Example: `  jpops doctor -a autonomath-api
  jpops doctor --json | jq '.checks[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Getenv, opts.Lookup, opts.Now, opts.Home = f.Getenv, f.lookupEnv, f.Now, f.Home
			opts.Token, opts.RunbookPath = f.Token, f.RunbookPath
			opts.App, opts.AppErr = af.resolve(f.Getenv, "")
			opts.ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return doctorRun(opts)
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, `print {"checks":[...],"ok":bool}`)
	cmd.Flags().StringVar(&opts.Flyctl, "flyctl", "", "flyctl binary (default: JPOPS_FLYCTL, then flyctl, then fly on PATH)")
	return cmd
}

func doctorRun(opts *DoctorOptions) error {
	ctx := opts.ctx
	var checks []doctorCheck
	add := func(name, status, detail, fix string) {
		checks = append(checks, doctorCheck{Name: name, Status: status, Detail: redact.String(detail), Fix: fix})
	}

	// flyctl
	path, err := flyctl.Find(opts.Flyctl, opts.Getenv, nil)
	if err != nil {
		add("flyctl", checkFail, err.Error(), "install flyctl (https://fly.io/docs/flyctl/install/) or pass --flyctl PATH")
	} else if ver, err := flyctl.Version(ctx, []string{path}); err != nil {
		add("flyctl", checkFail, fmt.Sprintf("%s: %v", path, err), "pass --flyctl PATH of a working flyctl")
	} else if !strings.HasPrefix(strings.TrimSpace(ver), "flyctl") {
		add("flyctl", checkWarn, fmt.Sprintf("%s says %q", path, ver), "this may not be flyctl: pass --flyctl PATH or set JPOPS_FLYCTL")
	} else {
		add("flyctl", checkOK, fmt.Sprintf("%s (%s)", path, ver), "")
	}

	// token, API and app
	lookup := opts.Lookup
	if lookup == nil {
		lookup = func(k string) (string, bool) { v := opts.Getenv(k); return v, v != "" }
	}
	cfg, src, err := flyapi.ConfigFromLookup(lookup, opts.Token, opts.Home)
	var fly *flyapi.HTTPClient
	var clientErr error
	if err != nil {
		add("token", checkFail, err.Error(), fixToken)
	} else {
		from := "from " + string(src)
		var refreshed bool
		if cfg.Token, refreshed = refreshedToken(cfg.Token, src, opts.Getenv); refreshed {
			from += ", as flyctl refreshed it"
		}
		add("token", checkOK, from, "")
		fly, clientErr = flyapi.New(cfg)
	}
	app := opts.App
	switch {
	case clientErr != nil:
		add("api", checkFail, clientErr.Error(), "fix FLY_FLAPS_BASE_URL or FLY_API_BASE_URL")
	case fly == nil:
		add("api", checkWarn, "not checked: no token", fixToken)
	case opts.AppErr != nil:
		add("api", checkWarn, "not checked: no app known", "pass -a APP to check the app is visible")
	default:
		ms, err := fly.ListMachines(ctx, app)
		switch {
		case err == nil:
			add("api", checkOK, "the Machines API accepted the token", "")
			add("app", checkOK, fmt.Sprintf("%s visible, %d machine(s)", app, len(ms)), "")
		case flyapi.IsAuth(err):
			add("api", checkFail, err.Error(), fixToken)
		case errors.Is(err, flyapi.ErrNotFound):
			add("api", checkOK, "the Machines API answered", "")
			add("app", checkFail, err.Error(), "check the app name (-a, FLY_APP, fly.toml) and that the token's org owns it")
		default:
			add("api", checkFail, err.Error(), "check the network, or FLY_FLAPS_BASE_URL")
		}
	}

	// runbook
	if rb, err := opts.Runbook(); err != nil {
		add("runbook", checkFail, err.Error(), "fix the runbook file, or drop --runbook to use the embedded one")
	} else {
		from := "embedded"
		if opts.RunbookPath != "" {
			from = opts.RunbookPath
		}
		add("runbook", checkOK, fmt.Sprintf("%s (%s), %d boot ops", rb.Name, from, len(rb.BootOps)), "")
	}

	// state directory and last drill
	if dir, err := opts.StateDir(); err != nil {
		add("state", checkFail, err.Error(), "set JPOPS_STATE_DIR to a writable directory")
	} else {
		add("state", checkOK, dir+" writable", "")
		last, ok, err := state.LastDrill(dir)
		switch {
		case err != nil:
			add("drill", checkWarn, err.Error(), "run jpops drill")
		case !ok:
			add("drill", checkWarn, "never drilled", "run jpops drill")
		default:
			age := opts.Now().Sub(last.At)
			detail := fmt.Sprintf("last drill %s (%s, %s), %s ago", last.At.UTC().Format("2006-01-02"), last.Scenario, last.Verdict, humanAge(age))
			if age > drillMaxAge {
				add("drill", checkWarn, detail, "run jpops drill")
			} else {
				add("drill", checkOK, detail, "")
			}
		}
	}

	failed := false
	for _, c := range checks {
		failed = failed || c.Status == checkFail
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Checks []doctorCheck `json:"checks"`
			OK     bool          `json:"ok"`
		}{checks, !failed})
	} else {
		for _, c := range checks {
			line := fmt.Sprintf("%-4s  %-7s  %s", c.Status, c.Name, c.Detail)
			if c.Fix != "" {
				line += "  fix: " + c.Fix
			}
			fmt.Fprintln(opts.IO.Out, line)
		}
	}
	if failed {
		return &ExitError{Code: verdict.ExitError, Silent: true, Err: errors.New("doctor: a check failed")}
	}
	return nil
}

// humanAge is a duration as days or hours, for the drill line.
func humanAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return d.Round(time.Minute).String()
}
