package redact

import (
	"fmt"
	"testing"
)

// deployLines is what flyctl deploy prints on the escape path
// (docs/fly-platform.md, "Deploy output"), BuildKit progress noise like a dependency
// install prints, and a share of lines that carry a token or a secret.
func deployLines() []string {
	lines := []string{
		"==> Verifying app config",
		"Validating /app/fly.toml",
		"✓ Configuration is valid",
		"--> Verified app config",
		"==> Building image",
		"Waiting for depot builder...",
		"==> Building image with Depot",
		"#11 exporting to image",
		"#11 exporting manifest sha256:de7c3283f9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718295a11e done",
		"#11 pushing layers for registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0@sha256:de7c3283f9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718295a11e 0.2s done",
		"#11 DONE 0.3s",
		"--> Build Summary:  ()",
		"image: registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0",
		"image size: 317 MB",
		"Watch your deployment at https://fly.io/apps/autonomath-api/monitoring",
		"INFO Using wait timeout: 10m0s lease timeout: 13s delay between lease refreshes: 4s",
		"Updating existing machines in 'autonomath-api' with rolling strategy",
		"> [1/2] Acquiring lease for 1854737c27e1d8",
		"> [2/2] Checking health of machine 18590deb29eee8",
		"✔ [2/2] Machine 18590deb29eee8 is now in a good state",
		"✔ [1/2] Cleared lease for 1854737c27e1d8",
		"Checking DNS configuration for autonomath-api.fly.dev",
		"Visit your newly deployed app at https://autonomath-api.fly.dev/",
		"Error: failed to get deploy status: Get \"https://api.fly.io/graphql\": unexpected EOF",
	}
	for i := range 76 {
		lines = append(lines, fmt.Sprintf("#7 %d.%03d Collecting autonomath-dep-%05d==1.%d.0 (from -r requirements.txt (line %d))", i/100, i%1000, i, i%10, i+1))
	}
	// Two lines in a hundred carry a credential: one token shape, one known value.
	lines[40] = "Error: authenticating with FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2FrZXMgYXJlIHRhc3R5IQ== failed"
	lines[80] = "DATABASE_URL=postgres://app:hunter2hunter2@db.internal:5432/app"
	return lines
}

// BenchmarkString is the per-line cost on flyctl deploy output, with the
// secret set a flyctl child gets (its token and a password from its env).
func BenchmarkString(b *testing.B) {
	r := New("FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2FrZXMgYXJlIHRhc3R5IQ==", "hunter2hunter2")
	lines := deployLines()
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			_ = r.String(l)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
}

// BenchmarkStringRegexp is the baseline: every line through the regexp,
// as String did before it had a prefilter.
func BenchmarkStringRegexp(b *testing.B) {
	r := New("FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2FrZXMgYXJlIHRhc3R5IQ==", "hunter2hunter2")
	lines := deployLines()
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			_ = regexpString(r, l)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
}
