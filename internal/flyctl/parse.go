package flyctl

import (
	"regexp"
	"strings"
	"sync"
)

// imageLine is flyctl's build summary line, `image: registry.fly.io/APP:TAG`
// (docs/fly-platform.md, "Deploy output"). `image size: 317 MB` has a space in the key and
// does not match.
var imageLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*image:\s+([A-Za-z0-9][A-Za-z0-9._\-/:@]*)\s*$`)
})

// Digest lines, weakest first: the rank decides which one Run keeps when
// several appear. A pushed manifest is what the registry (and so the
// platform's image_ref.digest) knows; the exported one is the build's view.
// The digest must be followed by whitespace or the end of the line, so a
// 65-digit or truncated (`de7c3283…5a11e`) digest never matches.
var digestLines = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`(?:^|\s)exporting manifest sha256:([0-9a-f]{64})(?:\s|$)`),
		regexp.MustCompile(`(?:^|\s)exporting manifest list sha256:([0-9a-f]{64})(?:\s|$)`),
		regexp.MustCompile(`^\s*[A-Za-z0-9_][A-Za-z0-9_.\-]*: digest: sha256:([0-9a-f]{64}) size: [0-9]+\s*$`),
		regexp.MustCompile(`(?:^|\s)pushing manifest for [^\s@]+@sha256:([0-9a-f]{64})(?:\s|$)`),
	}
})

// prebuiltLine is what flyctl prints when it deploys a pre-built image
// (`--image`, or [build] image in fly.toml) instead of an `image:` line:
// `Searching for image 'REF' remotely...` (docs/fly-platform.md, "Deploy output").
var prebuiltLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*Searching for image '([A-Za-z0-9][A-Za-z0-9._\-/:@]*)' (?:remotely|locally)\.\.\.\s*$`)
})

// ParseImage returns the image reference of an `image: REF` line, or of the
// `Searching for image 'REF' …` line of a pre-built image deploy.
func ParseImage(line string) (image string, ok bool) {
	switch {
	case strings.Contains(line, "image:"):
		if m := imageLine().FindStringSubmatch(line); m != nil {
			return m[1], true
		}
	case strings.Contains(line, "Searching for image"):
		if m := prebuiltLine().FindStringSubmatch(line); m != nil {
			return m[1], true
		}
	}
	return "", false
}

// ParseDigest returns the `sha256:<64 hex>` manifest digest of a build or
// push line: `pushing manifest for REF@sha256:…`, `exporting manifest
// sha256:… done`, or docker's `TAG: digest: sha256:… size: N`. Digests cut
// short by terminal width are not accepted.
func ParseDigest(line string) (digest string, ok bool) {
	d, rank := parseDigest(line)
	return d, rank > 0
}

// parseDigest returns the digest and the rank of the line form (1 weakest),
// or rank 0 when the line carries no digest.
func parseDigest(line string) (string, int) {
	if !strings.Contains(line, "sha256:") {
		return "", 0
	}
	for i := len(digestLines()) - 1; i >= 0; i-- {
		if m := digestLines()[i].FindStringSubmatch(line); m != nil {
			return "sha256:" + m[1], i + 1
		}
	}
	return "", 0
}
