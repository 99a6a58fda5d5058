package flysim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func envFor(ts *httptest.Server, extra map[string]string) func(string) string {
	env := map[string]string{"FLY_FLAPS_BASE_URL": ts.URL, "FLY_API_TOKEN": testToken}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

var deployArgs = []string{"deploy", "--remote-only", "--strategy", "rolling", "-a", "autonomath-api"}

func runDeploy(t *testing.T, ts *httptest.Server, extra map[string]string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code = runFlyctl(ctx, deployArgs, &out, &errb, envFor(ts, extra))
	return code, out.String(), errb.String()
}

func TestDeployFixedImage(t *testing.T) {
	s, ts := newSim(t, "db-boot-hang", 1000)
	before := machinesOf(t, ts)
	code, stdout, stderr := runDeploy(t, ts, nil)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	after := machinesOf(t, ts)
	tag := after[0].ImageRef.Tag
	digest := after[0].ImageRef.Digest
	for _, want := range []string{
		"==> Verifying app config\n", "==> Building image\n", "==> Building image with Depot\n",
		"#11 exporting manifest " + digest + " done\n",
		"#11 pushing manifest for registry.fly.io/autonomath-api:" + tag + "@" + digest + " 0.1s done\n",
		"image: registry.fly.io/autonomath-api:" + tag + "\n", "image size: 317 MB\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	n := len(after)
	for _, want := range []string{
		"Watch your deployment at https://fly.io/apps/autonomath-api/monitoring\n",
		"Updating existing machines in 'autonomath-api' with rolling strategy\n",
		"Visit your newly deployed app at https://autonomath-api.fly.dev/\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for i, m := range after {
		if m.ImageRef.Tag == before[i].ImageRef.Tag || m.ImageRef.Digest == before[i].ImageRef.Digest || m.ImageRef.Tag != tag {
			t.Errorf("machine %s still on %s", m.ID, m.ImageRef.Tag)
		}
		if m.InstanceID == before[i].InstanceID {
			t.Errorf("machine %s kept instance_id %s", m.ID, m.InstanceID)
		}
		if m.State != "started" || m.Checks[0].Status != "passing" {
			t.Errorf("machine %s: %s/%s, want started/passing", m.ID, m.State, m.Checks[0].Status)
		}
		for _, want := range []string{"Acquiring lease for ", "Checking health of machine "} {
			if !strings.Contains(stdout, "> ["+itoa(int64(i+1))+"/"+itoa(int64(n))+"] "+want+m.ID+"\n") {
				t.Errorf("stdout lacks %q for %s", want, m.ID)
			}
		}
		for _, want := range []string{"Machine " + m.ID + " is now in a good state", "Cleared lease for " + m.ID} {
			if !strings.Contains(stdout, "✔ ["+itoa(int64(i+1))+"/"+itoa(int64(n))+"] "+want+"\n") {
				t.Errorf("stdout lacks ✔ %q", want)
			}
		}
		if r := do(t, "GET", ts.URL+"/app/v1/healthz", "", map[string]string{"fly-force-instance-id": m.ID}); r.status != 200 {
			t.Errorf("healthz on %s after deploy: %d", m.ID, r.status)
		}
	}
	logs, _ := allLogs(t, ts, "instance="+s.MachineIDs()[0])
	if countContaining(logs, "size-based integrity_check skip for /data/autonomath.db (size=9722236928 >= threshold=5000000000)") != 1 ||
		countContaining(logs, "schema_guard returns OK") != 1 || countContaining(logs, "Uvicorn running on http://0.0.0.0:8080") != 1 {
		t.Errorf("new boot's log lines missing:\n%s", strings.Join(logs, "\n"))
	}
	// The control API reports it done.
	var st DeployStatus
	r := get(t, ts.URL+"/_sim/apps/autonomath-api/deploy")
	if json.Unmarshal(r.body, &st) != nil || !st.Done || st.Failed || st.Phase != "done" || st.Tag != tag {
		t.Errorf("deploy status %s", r.body)
	}
}

func TestDeployFails(t *testing.T) {
	_, ts := newSim(t, "deploy-fails", 1000)
	before := machinesOf(t, ts)
	code, stdout, stderr := runDeploy(t, ts, nil)
	if code != 1 || !strings.Contains(stderr, "Error: failed to fetch an image or build from source") {
		t.Fatalf("exit %d, want 1 with a builder error\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "Visit your newly deployed app") {
		t.Error("failed deploy claims success")
	}
	for i, m := range machinesOf(t, ts) {
		if m.ImageRef != before[i].ImageRef || m.Checks[0].Status != "critical" {
			t.Errorf("machine %s changed: %+v", m.ID, m.ImageRef)
		}
	}
}

func TestDeployFixMissing(t *testing.T) {
	s, ts := newSim(t, "fix-missing", 1000)
	before := machinesOf(t, ts)
	code, stdout, stderr := runDeploy(t, ts, nil)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	s.Clock().Advance(10 * time.Minute)
	for i, m := range machinesOf(t, ts) {
		if m.ImageRef.Digest == before[i].ImageRef.Digest {
			t.Errorf("machine %s not on the new image", m.ID)
		}
		if m.State != "started" || m.Checks[0].Status != "critical" {
			t.Errorf("machine %s: %s/%s, want started/critical", m.ID, m.State, m.Checks[0].Status)
		}
		if r := do(t, "GET", ts.URL+"/app/v1/healthz", "", map[string]string{"fly-force-instance-id": m.ID}); r.status != 503 {
			t.Errorf("healthz on %s: %d, want 503", m.ID, r.status)
		}
	}
	logs, _ := allLogs(t, ts, "instance="+s.MachineIDs()[1])
	if countContaining(logs, "running integrity_check on /data/autonomath.db") != 2 || countContaining(logs, "size-based integrity_check skip") != 0 {
		t.Errorf("want the wedge line from both boots and no skip:\n%s", strings.Join(logs, "\n"))
	}
}

func TestDeployControlAPI(t *testing.T) {
	s, ts := newSim(t, "db-boot-hang", 1)
	url := ts.URL + "/_sim/apps/autonomath-api/deploy"
	if r := get(t, url); r.status != 404 {
		t.Errorf("no deploy yet: %d", r.status)
	}
	if r := do(t, "POST", url, "Bearer "+testToken, nil); r.status != 201 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", url, "Bearer "+testToken, nil); r.status != 409 {
		t.Errorf("second deploy while running: %d, want 409", r.status)
	}
	s.Clock().Advance(defaultBuildFor + firstGap + 5*time.Second) // machine 0 replaced, machine 1 not yet
	var st DeployStatus
	r := do(t, "DELETE", url, "Bearer "+testToken, nil)
	if json.Unmarshal(r.body, &st) != nil || st.Phase != "interrupted" || !st.Failed {
		t.Fatalf("interrupt: %s", r.body)
	}
	s.Clock().Advance(10 * time.Minute)
	ms := machinesOf(t, ts)
	if ms[0].ImageRef.Tag != st.Tag || ms[1].ImageRef.Tag == st.Tag {
		t.Errorf("after interrupt: machine tags %s, %s; want only the first on %s", ms[0].ImageRef.Tag, ms[1].ImageRef.Tag, st.Tag)
	}
	// health-timeout: the first new machine never passes; the deploy fails.
	if r := do(t, "POST", url, "Bearer "+testToken, nil); r.status != 201 {
		t.Fatalf("restart deploy: %d %s", r.status, r.body)
	}
	s.Clock().Advance(time.Hour)
	r = get(t, url)
	json.Unmarshal(r.body, &st)
	if st.Phase != "done" || st.Failed {
		t.Errorf("second deploy: %s", r.body)
	}
}

func TestFlyctlCommandLine(t *testing.T) {
	_, ts := newSim(t, "db-boot-hang", 1000)
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, nil, 0, "flyctl v0.3.", ""},
		{"unknown flag", []string{"deploy", "--frobnicate"}, nil, 1, "", "Error: unknown flag: --frobnicate"},
		{"unknown command", []string{"launch"}, nil, 1, "", `Error: unknown command "launch"`},
		{"missing value", []string{"deploy", "-a"}, nil, 1, "", "Error: flag needs an argument: -a"},
		{"no token", deployArgs, map[string]string{"FLY_API_TOKEN": ""}, 1, "", "Error: no access token available"},
		{"wrong token", deployArgs, map[string]string{"FLY_API_TOKEN": "nope"}, 1, "", "Authenticate: token validation error (Request ID: "},
		{"access token wins", deployArgs, map[string]string{"FLY_API_TOKEN": "nope", "FLY_ACCESS_TOKEN": "FlyV1 " + testToken}, 0, "Visit your newly deployed app", ""},
		{"no base", deployArgs, map[string]string{"FLY_FLAPS_BASE_URL": ""}, 1, "", "Error: FLY_FLAPS_BASE_URL is not set"},
		{"no app", []string{"deploy"}, nil, 1, "", "missing an app name"},
		{"app from env", []string{"deploy", "--remote-only"}, map[string]string{"FLY_APP": "other"}, 1, "", "app not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runFlyctl(context.Background(), tt.args, &out, &errb, envFor(ts, tt.env))
			if code != tt.code || !strings.Contains(out.String(), tt.stdout) || !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errb.String())
			}
			if strings.Contains(out.String()+errb.String(), testToken) {
				t.Error("token printed")
			}
		})
	}
}

func TestFlyctlHangThenCancel(t *testing.T) {
	_, ts := newSim(t, "db-boot-hang", 1000)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	var out, errb bytes.Buffer
	code := runFlyctl(ctx, deployArgs, &out, &errb, envFor(ts, map[string]string{EnvFlyctlHang: "1"}))
	if code != 127 || !strings.HasSuffix(errb.String(), "==> Building image with Depot\nError: context canceled\n") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if r := get(t, ts.URL+"/_sim/apps/autonomath-api/deploy"); r.status != 404 {
		t.Errorf("a hung flyctl started a deploy: %s", r.body)
	}
}

func TestFlyctlFlood(t *testing.T) {
	_, ts := newSim(t, "healthy", 1000)
	code, _, stderr := runDeploy(t, ts, map[string]string{EnvFlyctlFlood: "200000"})
	if code != 0 || len(stderr) < 200000 || !strings.Contains(stderr, "image size: 317 MB") {
		t.Errorf("exit %d, %d bytes of stderr", code, len(stderr))
	}
}

// The stand-in runs as a real child process and exits 127 on SIGINT, as
// flyctl does; the deploy it started is interrupted.
func TestFlyctlChildProcessSIGINT(t *testing.T) {
	_, ts := newSim(t, "db-boot-hang", 1)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FLYSIM_TEST_FLYCTL_CHILD=1",
		"FLYSIM_TEST_FLYCTL_ARGS="+strings.Join(deployArgs, " "),
		"FLY_FLAPS_BASE_URL="+ts.URL, "FLY_API_TOKEN="+testToken)
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for get(t, ts.URL+"/_sim/apps/autonomath-api/deploy").status != 200 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("child never started the deploy; stderr: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 127 {
		t.Errorf("exit %d (%v), want 127; stderr: %s", code, err, errb.String())
	}
	if !strings.Contains(errb.String(), "Error: context canceled") {
		t.Errorf("stderr: %s", errb.String())
	}
	var st DeployStatus
	json.Unmarshal(get(t, ts.URL+"/_sim/apps/autonomath-api/deploy").body, &st)
	if st.Phase != "interrupted" {
		t.Errorf("deploy phase %q after SIGINT, want interrupted", st.Phase)
	}
}
