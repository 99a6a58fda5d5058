package tui

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

func TestGateInput(t *testing.T) {
	typed := func(s string) tea.Msg { return tea.KeyPressMsg{Text: s, Code: []rune(s)[0]} }
	key := func(code rune, mod tea.KeyMod) tea.Msg { return tea.KeyPressMsg{Code: code, Mod: mod} }
	tests := []struct {
		name string
		msgs []tea.Msg
		want string
	}{
		{"typing", []tea.Msg{typed("a"), typed("p"), typed("i")}, "api"},
		{"backspace", []tea.Msg{typed("a"), typed("x"), key(tea.KeyBackspace, 0), typed("b")}, "ab"},
		{"backspace on empty", []tea.Msg{key(tea.KeyBackspace, 0)}, ""},
		{"ctrl+u clears", []tea.Msg{typed("a"), typed("b"), key('u', tea.ModCtrl)}, ""},
		{"ctrl+w a word back", []tea.Msg{tea.PasteMsg{Content: "my app "}, key('w', tea.ModCtrl)}, "my "},
		{"ctrl letters are not typed", []tea.Msg{typed("a"), tea.KeyPressMsg{Text: "c", Code: 'c', Mod: tea.ModCtrl}}, "a"},
		{"paste drops control characters", []tea.Msg{tea.PasteMsg{Content: "my-app\n\x1b[31m"}}, "my-app[31m"},
		{"bounded", []tea.Msg{tea.PasteMsg{Content: strings.Repeat("x", 300)}}, strings.Repeat("x", gateInputLimit)},
		{"unicode", []tea.Msg{typed("é"), typed("ü"), key(tea.KeyBackspace, 0)}, "é"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in gateInput
			for _, m := range tc.msgs {
				in.Update(m)
			}
			if got := in.Value(); got != tc.want {
				t.Errorf("value %q, want %q", got, tc.want)
			}
		})
	}
}

// A copy taken before a change keeps its text.
func TestGateInputCopied(t *testing.T) {
	var in gateInput
	in.Update(tea.PasteMsg{Content: "app"})
	before := in
	in.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	in.Update(tea.PasteMsg{Content: "x"})
	if before.Value() != "app" || in.Value() != "apx" {
		t.Errorf("copy %q and input %q, want app and apx", before.Value(), in.Value())
	}
}

// Only an open gate takes what is typed or pasted: before it opens and
// once it is answered, nothing reaches its line.
func TestGateTakesInputOnlyWhileOpen(t *testing.T) {
	var m tea.Model = New(Options{App: "api"})
	send := func(msg tea.Msg) { m, _ = m.Update(msg) }
	line := func() string { return m.(Model).input.Value() }
	send(tea.PasteMsg{Content: "api"})
	send(tea.KeyPressMsg{Text: "z", Code: 'z'})
	if v := line(); v != "" {
		t.Fatalf("before the gate opened, its line took %q", v)
	}
	reply := make(chan bool, 1)
	send(GateMsg{Command: "flyctl deploy --remote-only --strategy rolling -a api", Expect: "api", Reply: reply})
	send(tea.PasteMsg{Content: "ap"})
	send(tea.KeyPressMsg{Text: "i", Code: 'i'})
	if v := line(); v != "api" {
		t.Fatalf("the open gate's line holds %q, want api", v)
	}
	send(tea.KeyPressMsg{Code: tea.KeyEnter})
	send(tea.PasteMsg{Content: "api"})
	if v := line(); v != "" {
		t.Errorf("once the gate was answered, its line took %q", v)
	}
}

// Whatever a terminal sends (pastes and key presses of any text), the
// gate's line holds printable characters only, at most gateInputLimit of
// them, as valid UTF-8.
func FuzzGateInput(f *testing.F) {
	f.Add("my-app", "x", uint8(0))
	f.Add("a\nb\x1b[31m\u200b", "é", uint8(3))
	f.Add(strings.Repeat("ab ", 200), "\x00", uint8(7))
	f.Fuzz(func(t *testing.T, paste, typed string, keys uint8) {
		var in gateInput
		in.Update(tea.PasteMsg{Content: paste})
		if typed != "" {
			in.Update(tea.KeyPressMsg{Text: typed, Code: []rune(typed)[0]})
		}
		if keys&1 != 0 {
			in.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
		}
		if keys&2 != 0 {
			in.Update(tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl})
		}
		if keys&4 != 0 {
			in.Update(tea.PasteMsg{Content: paste})
		}
		v := in.Value()
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > gateInputLimit {
			t.Fatalf("value %q: invalid UTF-8 or over %d characters", v, gateInputLimit)
		}
		for _, r := range v {
			if !unicode.IsPrint(r) {
				t.Fatalf("value %q holds %U, not printable", v, r)
			}
		}
	})
}
