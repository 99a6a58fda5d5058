package flyapi

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/jpops-dev/jpops/internal/boundedfile"
	"github.com/jpops-dev/jpops/internal/redact"
)

// Default API bases (docs/fly-platform.md, "API bases").
const (
	DefaultMachinesBaseURL = "https://api.machines.dev"
	DefaultLogsBaseURL     = "https://api.fly.io"
)

// TokenSource says where a token came from, for `jpops doctor`. It never
// holds the token itself.
type TokenSource string

// Token sources other than the config file, whose source names its path.
const (
	TokenFromFlag           TokenSource = "--access-token flag"
	TokenFromAccessTokenEnv TokenSource = "FLY_ACCESS_TOKEN"
	TokenFromAPITokenEnv    TokenSource = "FLY_API_TOKEN"
)

// ConfigFromEnv is ConfigFromLookup for an environment read with getenv,
// where an empty value counts as unset.
func ConfigFromEnv(getenv func(string) string, flagToken, homeDir string) (Config, TokenSource, error) {
	return ConfigFromLookup(func(k string) (string, bool) { v := getenv(k); return v, v != "" }, flagToken, homeDir)
}

// ConfigFromLookup resolves the API bases and the token exactly as flyctl
// does (docs/fly-platform.md, "Tokens"), so jpops and the flyctl it runs act
// as one identity: the token from flagToken; else the first of
// FLY_ACCESS_TOKEN and FLY_API_TOKEN that is set, even to an empty value,
// which then counts as none; else access_token in config.yml under
// FLY_CONFIG_DIR (default homeDir/.fly). A "FlyV1 " or "Bearer " prefix is
// stripped. ErrNoToken when none is found; the Config is still filled so
// callers can report the bases.
func ConfigFromLookup(lookup func(string) (string, bool), flagToken, homeDir string) (Config, TokenSource, error) {
	getenv := func(k string) string { v, _ := lookup(k); return v }
	cfg := Config{
		MachinesBaseURL: orDefault(getenv("FLY_FLAPS_BASE_URL"), DefaultMachinesBaseURL),
		LogsBaseURL:     orDefault(getenv("FLY_API_BASE_URL"), DefaultLogsBaseURL),
	}
	if tok := StripScheme(flagToken); tok != "" {
		cfg.Token = tok
		redact.Register(tok) // masked on every output path, not only by the client
		return cfg, TokenFromFlag, nil
	}
	hidden := ""
	for _, c := range []struct {
		name string
		src  TokenSource
	}{{"FLY_ACCESS_TOKEN", TokenFromAccessTokenEnv}, {"FLY_API_TOKEN", TokenFromAPITokenEnv}} {
		v, set := lookup(c.name)
		if !set {
			continue
		}
		if tok := StripScheme(v); tok != "" {
			cfg.Token = tok
			redact.Register(tok) // masked on every output path, not only by the client
			return cfg, c.src, nil
		}
		if c.name == "FLY_ACCESS_TOKEN" {
			if _, apiSet := lookup("FLY_API_TOKEN"); apiSet {
				hidden = " (FLY_ACCESS_TOKEN is set but empty, which hides FLY_API_TOKEN from flyctl, and so from jpops)"
			}
		}
		break // flyctl reads only the first variable that is set
	}

	dir := strings.TrimSpace(getenv("FLY_CONFIG_DIR"))
	if dir == "" {
		if homeDir == "" {
			return cfg, "", noToken(hidden)
		}
		dir = filepath.Join(homeDir, ".fly")
	}
	path := filepath.Join(dir, "config.yml")
	tok, err := tokenFromFile(path)
	if err != nil {
		return cfg, "", err
	}
	if tok == "" {
		return cfg, "", noToken(hidden)
	}
	cfg.Token = tok
	redact.Register(tok) // masked on every output path, not only by the client
	return cfg, TokenSource("access_token in " + path + hidden), nil
}

func noToken(hidden string) error {
	if hidden == "" {
		return ErrNoToken
	}
	return fmt.Errorf("%w%s: unset FLY_ACCESS_TOKEN or give it the token", ErrNoToken, hidden)
}

// FromFile reports whether src is the config file, whose token flyctl
// refreshes before it uses it.
func (src TokenSource) FromFile() bool {
	return strings.HasPrefix(string(src), "access_token in ")
}

func tokenFromFile(path string) (string, error) {
	data, err := boundedfile.ReadFile(path, 1<<20, "a flyctl config.yml")
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read Fly token from %s: %w", path, err)
	}
	var file struct {
		AccessToken string `yaml:"access_token"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		// yaml errors can quote the offending line, which may hold the token.
		return "", fmt.Errorf("read Fly token from %s: not valid YAML (%s): fix the file, or set FLY_API_TOKEN",
			path, redact.String(err.Error()))
	}
	return StripScheme(file.AccessToken), nil
}

// StripScheme removes leading "FlyV1 " and "Bearer " schemes, in any case and
// any number, and surrounding space: "Bearer FlyV1 fm2_x" becomes "fm2_x".
func StripScheme(token string) string {
	token = strings.TrimSpace(token)
	for {
		if strings.EqualFold(token, "FlyV1") || strings.EqualFold(token, "Bearer") {
			return "" // a scheme with nothing after it
		}
		scheme, rest, ok := strings.Cut(token, " ")
		if !ok || !(strings.EqualFold(scheme, "FlyV1") || strings.EqualFold(scheme, "Bearer")) {
			return token
		}
		token = strings.TrimSpace(rest)
	}
}

// isMacaroon reports whether one token part is a macaroon (fly-go tokens.Parse).
func isMacaroon(part string) bool {
	for _, p := range []string{"fm1r_", "fm1a_", "fm2_"} {
		if strings.HasPrefix(part, p) {
			return true
		}
	}
	return false
}

// AuthHeader is the Authorization value for the Machines and logs APIs
// (fly-go FlapsHeader/BubblegumHeader): "FlyV1 <macaroons,…>" when any
// comma-separated part is a macaroon (user tokens are then dropped), else
// "Bearer <tokens,…>". Empty when token holds no token.
func AuthHeader(token string) string {
	var macaroons, users []string
	for part := range strings.SplitSeq(StripScheme(token), ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case isMacaroon(part):
			macaroons = append(macaroons, part)
		default:
			users = append(users, part)
		}
	}
	switch {
	case len(macaroons) > 0:
		return "FlyV1 " + strings.Join(macaroons, ",")
	case len(users) > 0:
		return "Bearer " + strings.Join(users, ",")
	}
	return ""
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}
