package flyctl

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a fake flyctl: with FAKE_FLYCTL set it plays
// the named part instead of running tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("FAKE_FLYCTL"); mode != "" {
		os.Exit(fakeMain(mode))
	}
	os.Exit(m.Run())
}

// digestHex is a full manifest digest; the reference transcript shows it
// cut by terminal width as de7c3283…5a11e.
const digestHex = "de7c3283" + "0123456789abcdef0123456789abcdef0123456789abcdef012" + "5a11e"

// depotStderr and depotStdout are the non-TTY `flyctl deploy --remote-only`
// run as docs/fly-platform.md ("Deploy output") describes it, split by stream as flyctl does.
const depotStderr = `==> Verifying app config
Validating /…/fly.toml
✓ Configuration is valid
--> Verified app config
==> Building image
Waiting for depot builder...
==> Building image with Depot
#11 exporting to image
#11 exporting manifest sha256:de7c3283…5a11e done
#11 pushing layers for registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0@sha256:de7c3283…5a11e 0.2s done
#11 pushing manifest for registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0@sha256:de7c3283…5a11e 0.1s done
#11 DONE 0.3s
--> Build Summary:  ()
--> Building image done
image: registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0
image size: 317 MB
`

const depotStdout = `
Watch your deployment at https://fly.io/apps/APP/monitoring

INFO Using wait timeout: 10m0s lease timeout: 13s delay between lease refreshes: 4s

Updating existing machines in 'APP' with rolling strategy
> [1/2] Acquiring lease for 1854737c27e1d8
> [2/2] Checking health of machine 18590deb29eee8
✔ [2/2] Machine 18590deb29eee8 is now in a good state
✔ [1/2] Cleared lease for 1854737c27e1d8
Checking DNS configuration for APP.fly.dev
✓ DNS configuration verified

Visit your newly deployed app at https://APP.fly.dev/
`

// dockerStderr is the older local-Docker push path (§4.1).
const dockerStderr = `==> Building image
#8 writing image sha256:1111111111111111111111111111111111111111111111111111111111111111 done
The push refers to repository [registry.fly.io/APP]
deployment-01KR8S4VVCTB5QG1EWDT88AGK0: digest: sha256:` + digestHex + ` size: 1991
--> Pushing image done
image: registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0
image size: 317 MB
`

func fakeMain(mode string) int {
	out, errOut := os.Stdout, os.Stderr
	switch mode {
	case "depot-verbatim":
		fmt.Fprint(errOut, depotStderr)
		fmt.Fprint(out, depotStdout)
	case "depot-full":
		fmt.Fprint(errOut, strings.ReplaceAll(depotStderr, "de7c3283…5a11e", digestHex))
		fmt.Fprint(out, depotStdout)
	case "docker":
		fmt.Fprint(errOut, dockerStderr)
		fmt.Fprint(out, depotStdout)
	case "both":
		fmt.Fprintln(out, "out 1")
		fmt.Fprintln(errOut, "err 1")
		fmt.Fprintln(out, "out 2")
		fmt.Fprintln(errOut, "err 2")
	case "live":
		fmt.Fprintln(out, "first")
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(os.Getenv("FAKE_RELEASE")); err == nil {
				fmt.Fprintln(out, "second")
				return 0
			}
		}
		fmt.Fprintln(out, "never released")
		return 9
	case "cr":
		fmt.Fprint(errOut, "#5 step 1\r#5 step 2\r#5 step 3\r\ndone\n\n   \nlast without newline")
	case "ansi":
		fmt.Fprint(out, "\x1b[32m✔\x1b[0m [1/2] Machine ok\x1b]0;owned title\x07\x07\n")
	case "fail":
		fmt.Fprint(errOut, "==> Building image\n")
		fmt.Fprint(out, "> [1/2] Checking health of machine 18590deb29eee8\n")
		fmt.Fprint(errOut, "Error: timeout reached waiting for health checks to pass for machine 18590deb29eee8: failed to get VM 18590deb29eee8: Get \"https://api.machines.dev/v1/apps/APP/machines/18590deb29eee8\": net/http: request canceled\n")
		return 1
	case "silent":
		time.Sleep(time.Hour)
	case "dots":
		for range 15 {
			fmt.Fprint(out, ".")
			time.Sleep(100 * time.Millisecond)
		}
		fmt.Fprintln(out, " done")
	case "trap":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGINT)
		fmt.Fprintln(out, "ready")
		select {
		case <-c:
			fmt.Fprintln(errOut, "got SIGINT")
			return 127
		case <-time.After(30 * time.Second):
			return 5
		}
	case "ignore":
		signal.Ignore(syscall.SIGINT)
		fmt.Fprintln(out, "ready")
		for {
			time.Sleep(30 * time.Millisecond)
			fmt.Fprintln(out, "tick")
		}
	case "flood":
		w := bufio.NewWriterSize(out, 64<<10)
		line := strings.Repeat("x", 99) + "\n"
		for range floodLines {
			w.WriteString(line)
		}
		w.Flush()
	case "longline":
		w := bufio.NewWriterSize(out, 64<<10)
		for range (2 << 20) / 5 {
			w.WriteString("word ")
		}
		w.WriteString("\nafter\n")
		w.Flush()
	case "nospace":
		w := bufio.NewWriterSize(out, 64<<10)
		w.WriteString(strings.Repeat("Z", 2<<20))
		w.WriteString("\nafter\n")
		w.Flush()
	case "secret":
		fmt.Fprintln(out, "FLY_API_TOKEN=FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2FrZXMgYXJlIHRhc3R5IQ==,fm2_lJPEBJ3a")
		fmt.Fprintln(errOut, "using token fo1_8xKq0mYbZr2c6tLh3vFnPq9W")
		fmt.Fprintln(errOut, "db password is "+os.Getenv("FAKE_DB_PASSWORD"))
		return 1
	case "version":
		fmt.Fprintln(errOut, "A new release of flyctl is available")
		fmt.Fprintln(out, "flyctl v0.3.209 linux/amd64 Commit: 5e1fc2a BuildDate: 2026-05-01T00:00:00Z")
		fmt.Fprintln(out, "second line")
	default:
		fmt.Fprintln(errOut, "unknown fake mode", mode)
		return 99
	}
	return 0
}

const floodLines = (10 << 20) / 100
