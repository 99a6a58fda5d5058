package tui

import (
	"unicode"

	tea "charm.land/bubbletea/v2"
)

// gateInputLimit bounds what the gate holds: an app's name is far shorter.
const gateInputLimit = 256

// gateInput is the line the operator types the app's name into at the
// gate. The view draws the cursor at the end of the line, so the cursor
// stays there and the keys are the ones a name needs: typing, backspace,
// ctrl+w (a word back), ctrl+u (the whole line) and a paste through the
// terminal. The model hands it keys and pastes only while the gate is
// open. Not bubbles' text input: it links a clipboard package that
// searches PATH for clipboard tools at every start of every command, and
// its cursor moves where this view does not draw it.
type gateInput struct {
	text []rune
}

func (in gateInput) Value() string { return string(in.text) }
func (in *gateInput) Reset()       { in.text = nil }

// Update takes a key press or a paste.
func (in *gateInput) Update(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		in.insert(msg.Content)
	case tea.KeyPressMsg:
		switch msg.String() {
		case "backspace", "ctrl+h":
			if len(in.text) > 0 {
				in.text = in.text[: len(in.text)-1 : len(in.text)-1]
			}
		case "ctrl+w", "alt+backspace":
			end := len(in.text)
			for end > 0 && unicode.IsSpace(in.text[end-1]) {
				end--
			}
			for end > 0 && !unicode.IsSpace(in.text[end-1]) {
				end--
			}
			in.text = in.text[:end:end]
		case "ctrl+u":
			in.Reset()
		default:
			if msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
				in.insert(msg.Text)
			}
		}
	}
}

// insert appends s's printable characters (to a new array, so a copy of
// the model taken before keeps its own text): a control character, a
// newline from a paste among them, is nothing a name holds.
func (in *gateInput) insert(s string) {
	for _, r := range s {
		if len(in.text) >= gateInputLimit {
			return
		}
		if unicode.IsPrint(r) {
			in.text = append(in.text[:len(in.text):len(in.text)], r)
		}
	}
}
