package iostreams

import "testing"

func TestTTYRules(t *testing.T) {
	tests := []struct {
		name                  string
		stdin, stdout, noclr  bool
		wantPrompt, wantColor bool
	}{
		{"both terminals", true, true, false, true, true},
		{"piped out", true, false, false, false, false},
		{"piped in", false, true, false, false, true},
		{"no color", true, true, true, true, false},
		{"nothing", false, false, false, false, false},
	}
	for _, tt := range tests {
		ios, _, _, _ := Test()
		ios.SetTTY(tt.stdin, tt.stdout, false)
		ios.SetNoColor(tt.noclr)
		if got := ios.CanPrompt(); got != tt.wantPrompt {
			t.Errorf("%s: CanPrompt = %v", tt.name, got)
		}
		if got := ios.ColorEnabled(); got != tt.wantColor {
			t.Errorf("%s: ColorEnabled = %v", tt.name, got)
		}
	}
}

func TestNoColorEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if NoColor(get) {
		t.Error("empty env means colour allowed")
	}
	env["NO_COLOR"] = "1"
	if !NoColor(get) {
		t.Error("NO_COLOR=1 ignored")
	}
	env = map[string]string{"TERM": "dumb"}
	if !NoColor(get) {
		t.Error("TERM=dumb ignored")
	}
}

func TestTestStreamsAreNotTerminals(t *testing.T) {
	ios, _, _, _ := Test()
	if ios.CanPrompt() || ios.IsStdoutTTY() || ios.ColorEnabled() {
		t.Error("test streams claim to be a terminal")
	}
}
