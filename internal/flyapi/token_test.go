package flyapi

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuthHeader(t *testing.T) {
	tests := []struct {
		token, want string
	}{
		{"fm2_abc", "FlyV1 fm2_abc"},
		{"fm1r_abc", "FlyV1 fm1r_abc"},
		{"fm1a_abc", "FlyV1 fm1a_abc"},
		{"fo1_user", "Bearer fo1_user"},
		{"plainusertoken", "Bearer plainusertoken"},
		{"fm2_a,fm2_b", "FlyV1 fm2_a,fm2_b"},
		{"fo1_user,fm2_a", "FlyV1 fm2_a"},
		{"fm2_a, fo1_user ,fm1r_b", "FlyV1 fm2_a,fm1r_b"},
		{"fo1_a,fo1_b", "Bearer fo1_a,fo1_b"},
		{"FlyV1 fm2_abc", "FlyV1 fm2_abc"},
		{"Bearer fo1_user", "Bearer fo1_user"},
		{"bearer FLYV1 fm2_abc", "FlyV1 fm2_abc"},
		{"  Bearer   FlyV1   fm2_abc  ", "FlyV1 fm2_abc"},
		{"", ""},
		{"Bearer ", ""},
		{",,", ""},
	}
	for _, tt := range tests {
		if got := AuthHeader(tt.token); got != tt.want {
			t.Errorf("AuthHeader(%q) = %q, want %q", tt.token, got, tt.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".fly"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".fly", "config.yml"), "access_token: FlyV1 fm2_homefile\nlast_login: 2026-05-01T00:00:00Z\n")
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "config.yml"), "access_token: fo1_otherdir\nsend_metrics: true\n")
	broken := t.TempDir()
	writeFile(t, filepath.Join(broken, "config.yml"), "access_token: [fm2_brokenyaml\n")
	empty := t.TempDir()

	tests := []struct {
		name      string
		env       map[string]string
		flag      string
		home      string
		wantToken string
		wantSrc   TokenSource
		wantErr   error
	}{
		{"flag wins", map[string]string{"FLY_ACCESS_TOKEN": "fm2_env1", "FLY_API_TOKEN": "fm2_env2"}, "Bearer fm2_flag", home, "fm2_flag", TokenFromFlag, nil},
		{"FLY_ACCESS_TOKEN before FLY_API_TOKEN", map[string]string{"FLY_ACCESS_TOKEN": "fm2_env1", "FLY_API_TOKEN": "fm2_env2"}, "", home, "fm2_env1", TokenFromAccessTokenEnv, nil},
		{"FLY_API_TOKEN with scheme", map[string]string{"FLY_API_TOKEN": "FlyV1 fm2_env2"}, "", home, "fm2_env2", TokenFromAPITokenEnv, nil},
		{"FLY_API_TOKEN when FLY_ACCESS_TOKEN is unset", map[string]string{"FLY_API_TOKEN": "fm2_env2"}, "", home, "fm2_env2", TokenFromAPITokenEnv, nil},
		{"home config file", nil, "", home, "fm2_homefile", TokenSource("access_token in " + filepath.Join(home, ".fly", "config.yml")), nil},
		{"FLY_CONFIG_DIR overrides home", map[string]string{"FLY_CONFIG_DIR": other}, "", home, "fo1_otherdir", TokenSource("access_token in " + filepath.Join(other, "config.yml")), nil},
		{"no file", map[string]string{"FLY_CONFIG_DIR": empty}, "", home, "", "", ErrNoToken},
		{"no home", nil, "", "", "", "", ErrNoToken},
		{"broken yaml", map[string]string{"FLY_CONFIG_DIR": broken}, "", home, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, src, err := ConfigFromEnv(func(k string) string { return tt.env[k] }, tt.flag, tt.home)
			if tt.name == "broken yaml" {
				if err == nil || errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "config.yml") || strings.Contains(err.Error(), "fm2_brokenyaml") {
					t.Fatalf("err = %v, want a YAML error naming the file, without the token", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if cfg.Token != tt.wantToken || src != tt.wantSrc {
				t.Errorf("token %q from %q, want %q from %q", cfg.Token, src, tt.wantToken, tt.wantSrc)
			}
			if strings.Contains(string(src), "fm2_") || strings.Contains(string(src), "fo1_") {
				t.Errorf("source %q holds the token", src)
			}
			if cfg.MachinesBaseURL != DefaultMachinesBaseURL || cfg.LogsBaseURL != DefaultLogsBaseURL {
				t.Errorf("bases = %q, %q; want the defaults", cfg.MachinesBaseURL, cfg.LogsBaseURL)
			}
		})
	}
}

func TestConfigFromEnvBases(t *testing.T) {
	env := map[string]string{"FLY_FLAPS_BASE_URL": "http://127.0.0.1:4280/ignored", "FLY_API_BASE_URL": "http://127.0.0.1:9999", "FLY_API_TOKEN": "fm2_x"}
	cfg, _, err := ConfigFromEnv(func(k string) string { return env[k] }, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MachinesBaseURL != env["FLY_FLAPS_BASE_URL"] || cfg.LogsBaseURL != env["FLY_API_BASE_URL"] {
		t.Errorf("bases = %q, %q", cfg.MachinesBaseURL, cfg.LogsBaseURL)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.machinesBase != "http://127.0.0.1:4280" {
		t.Errorf("machines base %q still has its path; Fly's client drops it", c.machinesBase)
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, ErrNoToken) || !IsAuth(err) {
		t.Errorf("New without token: %v, want ErrNoToken", err)
	}
	if !strings.Contains(ErrNoToken.Error(), "FLY_API_TOKEN") || !strings.Contains(ErrNoToken.Error(), "flyctl auth login") {
		t.Errorf("ErrNoToken does not say what to do: %v", ErrNoToken)
	}
	for _, base := range []string{"api.machines.dev", "ftp://x", "http://", "://"} {
		if _, err := New(Config{Token: "fm2_x", MachinesBaseURL: base}); err == nil {
			t.Errorf("New accepted machines base %q", base)
		}
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// flyctl reads the first of FLY_ACCESS_TOKEN and FLY_API_TOKEN that is set,
// even when it is empty; jpops must pick the same token, or it and the
// flyctl it runs act as two identities.
func TestConfigFromLookupMirrorsFlyctl(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".fly"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".fly", "config.yml"), "access_token: fm2_homefile\n")
	tests := []struct {
		name      string
		env       map[string]string // a key present is set, even to ""
		home      string
		wantToken string
		wantSrc   string
		wantErr   bool
	}{
		{"empty FLY_ACCESS_TOKEN hides FLY_API_TOKEN", map[string]string{"FLY_ACCESS_TOKEN": "", "FLY_API_TOKEN": "fm2_env2"}, home, "fm2_homefile", "hides FLY_API_TOKEN", false},
		{"blank FLY_ACCESS_TOKEN hides FLY_API_TOKEN", map[string]string{"FLY_ACCESS_TOKEN": "  ", "FLY_API_TOKEN": "fm2_env2"}, home, "fm2_homefile", "access_token in", false},
		{"empty FLY_API_TOKEN alone", map[string]string{"FLY_API_TOKEN": ""}, home, "fm2_homefile", "access_token in", false},
		{"empty FLY_ACCESS_TOKEN, no file", map[string]string{"FLY_ACCESS_TOKEN": "", "FLY_API_TOKEN": "fm2_env2"}, "", "", "", true},
		{"set FLY_ACCESS_TOKEN", map[string]string{"FLY_ACCESS_TOKEN": "fm2_env1", "FLY_API_TOKEN": "fm2_env2"}, home, "fm2_env1", "FLY_ACCESS_TOKEN", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			cfg, src, err := ConfigFromLookup(lookup, "", tt.home)
			if tt.wantErr {
				if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "hides FLY_API_TOKEN") {
					t.Fatalf("err = %v, want ErrNoToken saying why FLY_API_TOKEN was not read", err)
				}
				return
			}
			if err != nil || cfg.Token != tt.wantToken || !strings.Contains(string(src), tt.wantSrc) {
				t.Errorf("token %q from %q, err %v; want %q from %q", cfg.Token, src, err, tt.wantToken, tt.wantSrc)
			}
		})
	}
}
