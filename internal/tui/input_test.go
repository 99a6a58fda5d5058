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
			in.Focus()
			for _, m := range tc.msgs {
				in.Update(m)
			}
			if got := in.Value(); got != tc.want {
				t.Errorf("value %q, want %q", got, tc.want)
			}
		})
	}
}

// Unfocused, it takes nothing; a copy taken before a change keeps its text.
func TestGateInputBlurredAndCopied(t *testing.T) {
	var in gateInput
	in.Update(tea.PasteMsg{Content: "app"})
	if in.Value() != "" {
		t.Fatalf("blurred input took %q", in.Value())
	}
	in.Focus()
	in.Update(tea.PasteMsg{Content: "app"})
	before := in
	in.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	in.Update(tea.PasteMsg{Content: "x"})
	if before.Value() != "app" || in.Value() != "apx" {
		t.Errorf("copy %q and input %q, want app and apx", before.Value(), in.Value())
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
		in.Focus()
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
