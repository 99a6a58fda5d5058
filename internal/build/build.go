// Package build holds the version stamped into the binary by the release
// (goreleaser sets these through -ldflags -X). A binary built otherwise
// (go build, go install module@version) takes what the Go toolchain
// recorded in it instead, so a bug report always names a commit.
package build

import "runtime/debug"

var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)

func init() {
	if bi, ok := debug.ReadBuildInfo(); ok {
		Version, Commit, Date = fromBuildInfo(bi, Version, Commit, Date)
	}
}

// fromBuildInfo fills the values the release did not set from the module
// version and the VCS stamp of bi.
func fromBuildInfo(bi *debug.BuildInfo, version, commit, date string) (string, string, string) {
	var revision, modified, when string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		case "vcs.time":
			when = s.Value
		}
	}
	// go install module@version: the module's version. A build in a
	// checkout has a pseudo-version saying no more than the commit below.
	if version == "dev" && revision == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	if commit == "none" && revision != "" {
		commit = revision[:min(len(revision), 12)]
		if modified == "true" {
			commit += "-dirty"
		}
	}
	if date == "unknown" && when != "" {
		date = when
	}
	return version, commit, date
}
