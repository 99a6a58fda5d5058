package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/state"
)

func init() { register(newDoctorCmd) }

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

func newDoctorCmd(env *Env, g *globalFlags) *cobra.Command {
	var (
		af         appFlags
		jsonOut    bool
		flyctlPath string
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Preflight: flyctl, token, API, app, runbook, state directory, last drill",
		Long: `Checks, before an incident needs them, everything jpops relies on: flyctl found
and its version, a Fly token found (its source is named, never the token) and
accepted by the API, the app visible, the runbook valid, the state directory
writable, and when the runbook was last drilled.

Each line reads: ok|warn|fail  CHECK  DETAIL  fix: WHAT TO DO.
Exit 1 when any check fails; warnings alone exit 0.`,
		Example: `  jpops doctor -a autonomath-api
  jpops doctor --json | jq '.checks[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var checks []doctorCheck
			add := func(name, status, detail, fix string) {
				checks = append(checks, doctorCheck{Name: name, Status: status, Detail: redact.String(detail), Fix: fix})
			}

			// flyctl
			path, err := flyctl.Find(flyctlPath, env.Getenv, nil)
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
			cfg, src, err := flyapi.ConfigFromEnv(env.Getenv, g.token, env.Home)
			var fly *flyapi.HTTPClient
			var clientErr error
			if err != nil {
				add("token", checkFail, err.Error(), fixToken)
			} else {
				add("token", checkOK, "from "+string(src), "")
				fly, clientErr = flyapi.New(cfg)
			}
			app, appErr := af.resolve(env, "")
			switch {
			case clientErr != nil:
				add("api", checkFail, clientErr.Error(), "fix FLY_FLAPS_BASE_URL or FLY_API_BASE_URL")
			case fly == nil:
				add("api", checkWarn, "not checked: no token", fixToken)
			case appErr != nil:
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
			if rb, err := loadRunbook(g); err != nil {
				add("runbook", checkFail, err.Error(), "fix the runbook file, or drop --runbook to use the embedded one")
			} else {
				from := "embedded"
				if g.runbook != "" {
					from = g.runbook
				}
				add("runbook", checkOK, fmt.Sprintf("%s (%s), %d boot ops", rb.Name, from, len(rb.BootOps)), "")
			}

			// state directory and last drill
			if dir, err := stateDir(env); err != nil {
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
					age := env.Now().Sub(last.At)
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
			if jsonOut {
				enc := json.NewEncoder(env.IO.Out)
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
					fmt.Fprintln(env.IO.Out, line)
				}
			}
			if failed {
				return &ExitError{Code: 1, Silent: true, Err: errors.New("doctor: a check failed")}
			}
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&jsonOut, "json", false, `print {"checks":[...],"ok":bool}`)
	cmd.Flags().StringVar(&flyctlPath, "flyctl", "", "flyctl binary (default: JPOPS_FLYCTL, then flyctl, then fly on PATH)")
	return cmd
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
