package flyctl

import (
	"regexp"
	"strings"
	"testing"
)

func TestParseImage(t *testing.T) {
	for _, tt := range []struct {
		line, want string
	}{
		{"image: registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0", "registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0"},
		{"  image: registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0  ", "registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0"},
		{"image: ghcr.io/acme/app@sha256:" + digestHex, "ghcr.io/acme/app@sha256:" + digestHex},
		{"image: nginx", "nginx"},
		{"image size: 317 MB", ""},
		{"image:", ""},
		{"image: two words", ""},
		{"docker image: registry.fly.io/APP:x", ""},
		{"Searching for image 'registry.fly.io/APP:x' remotely...", "registry.fly.io/APP:x"}, // a pre-built image
		{"Searching for image 'ghcr.io/acme/app:v2' locally...", "ghcr.io/acme/app:v2"},
		{"Searching for image 'two words' remotely...", ""},
		{"Searching for image '' remotely...", ""},
		{"image found: img_0lq747j0ym646x35", ""},
		{"", ""},
	} {
		got, ok := ParseImage(tt.line)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ParseImage(%q) = %q, %v; want %q", tt.line, got, ok, tt.want)
		}
	}
}

func TestParseDigest(t *testing.T) {
	want := "sha256:" + digestHex
	for _, tt := range []struct {
		line, want string
		rank       int
	}{
		{"#11 pushing manifest for registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0@sha256:" + digestHex + " 0.1s done", want, 4},
		{"#11 exporting manifest sha256:" + digestHex + " done", want, 1},
		{"#11 exporting manifest list sha256:" + digestHex + " done", want, 2},
		{"deployment-01KR8S4VVCTB5QG1EWDT88AGK0: digest: sha256:" + digestHex + " size: 1991", want, 3},
		{"exporting manifest sha256:" + digestHex, want, 1},
		// The reference transcript, cut by terminal width: not evidence.
		{"#11 exporting manifest sha256:de7c3283…5a11e done", "", 0},
		{"#11 pushing manifest for registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0@sha256:de7c3283…5a11e 0.1s done", "", 0},
		{"#11 pushing layers for registry.fly.io/APP:deployment-01K@sha256:" + digestHex + " 0.2s done", "", 0},
		{"#11 exporting config sha256:" + digestHex + " done", "", 0},
		{"#8 writing image sha256:" + digestHex + " done", "", 0},
		{"#11 exporting manifest sha256:" + strings.ToUpper(digestHex) + " done", "", 0},
		{"#11 exporting manifest sha256:" + digestHex + "0 done", "", 0},
		{"#11 exporting manifest sha256:" + digestHex[:63] + " done", "", 0},
		{"#11 exporting manifest sha256:" + digestHex + "… done", "", 0},
		{"", "", 0},
	} {
		got, ok := ParseDigest(tt.line)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ParseDigest(%q) = %q, %v; want %q", tt.line, got, ok, tt.want)
		}
		if _, rank := parseDigest(tt.line); rank != tt.rank {
			t.Errorf("rank of %q = %d, want %d", tt.line, rank, tt.rank)
		}
	}
	if len(digestHex) != 64 {
		t.Fatalf("test digest has %d digits", len(digestHex))
	}
}

var digestShape = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func FuzzParseDigest(f *testing.F) {
	f.Add("#11 pushing manifest for registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0@sha256:" + digestHex + " 0.1s done")
	f.Add("#11 exporting manifest sha256:de7c3283…5a11e done")
	f.Add("deployment-01K: digest: sha256:" + digestHex + " size: 1991")
	f.Add("sha256:sha256:" + digestHex)
	f.Fuzz(func(t *testing.T, line string) {
		d, ok := ParseDigest(line)
		if !ok {
			if d != "" {
				t.Fatalf("not ok but digest %q", d)
			}
			return
		}
		if !digestShape.MatchString(d) || !strings.Contains(line, d) {
			t.Fatalf("ParseDigest(%q) = %q: not a full digest from the line", line, d)
		}
	})
}

func FuzzParseImage(f *testing.F) {
	f.Add("image: registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0")
	f.Add("image size: 317 MB")
	f.Add("image:\t\x00")
	f.Add("  image:  a@b:c  ")
	f.Fuzz(func(t *testing.T, line string) {
		img, ok := ParseImage(line)
		if !ok {
			if img != "" {
				t.Fatalf("not ok but image %q", img)
			}
			return
		}
		if img == "" || strings.ContainsAny(img, " \t\r\n") || !strings.Contains(line, img) {
			t.Fatalf("ParseImage(%q) = %q", line, img)
		}
	})
}
