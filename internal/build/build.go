// Package build holds the version stamped into the binary by the release
// (goreleaser sets these through -ldflags -X).
package build

var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)
