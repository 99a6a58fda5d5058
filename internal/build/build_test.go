package build

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := func(rev, modified, when string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: when}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "63f8219c0ffee0123456789abcdef0123456789a"
	tests := []struct {
		name                   string
		main                   string
		settings               []debug.BuildSetting
		version, commit, date  string // as stamped by the release, or the defaults
		wantV, wantC, wantDate string
	}{
		{"go build in a clean checkout", "v0.0.0-20261126210000-63f8219c0ffe", vcs(rev, "false", "2026-11-26T21:00:00Z"), "dev", "none", "unknown",
			"dev", "63f8219c0ffe", "2026-11-26T21:00:00Z"},
		{"go build with local changes", "v0.0.0-20261126210000-63f8219c0ffe+dirty", vcs(rev, "true", "2026-11-26T21:00:00Z"), "dev", "none", "unknown",
			"dev", "63f8219c0ffe-dirty", "2026-11-26T21:00:00Z"},
		{"go install module@version", "v1.2.3", nil, "dev", "none", "unknown",
			"v1.2.3", "none", "unknown"},
		{"the release stamped everything", "(devel)", vcs(rev, "false", "2026-11-26T21:00:00Z"), "1.0.0", "abc1234", "2026-11-20T00:00:00Z",
			"1.0.0", "abc1234", "2026-11-20T00:00:00Z"},
		{"no stamp at all (go run, -buildvcs=false)", "(devel)", nil, "dev", "none", "unknown",
			"dev", "none", "unknown"},
	}
	for _, tt := range tests {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/jpops-dev/jpops", Version: tt.main}, Settings: tt.settings}
		v, c, d := fromBuildInfo(bi, tt.version, tt.commit, tt.date)
		if v != tt.wantV || c != tt.wantC || d != tt.wantDate {
			t.Errorf("%s: got %q %q %q, want %q %q %q", tt.name, v, c, d, tt.wantV, tt.wantC, tt.wantDate)
		}
	}
}
