package tui

import "charm.land/bubbles/v2/key"

// keyMap is every binding the UI answers to, with its help text.
type keyMap struct {
	Continue key.Binding
	Scroll   key.Binding // help text only: ↑/↓ in one entry
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Follow   key.Binding
	Details  key.Binding
	Top      key.Binding // the detail view's first line
	Copy     key.Binding
	Help     key.Binding
	Quit     key.Binding

	// Answers at prompts; not listed in the help line.
	Yes         key.Binding
	GateDetails key.Binding // the detail view from the gate, where d is typed
	Close       key.Binding // closes the detail view
	Confirm     key.Binding
	Refuse      key.Binding
	Interrupt   key.Binding
}

func defaultKeys() keyMap {
	return keyMap{
		Continue: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
		Scroll:   key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "f", "space"), key.WithHelp("pgdn", "page down")),
		Follow:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end", "follow output")),
		Details:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "details")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home", "top")),
		Copy:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy next cmd")),
		Help:     key.NewBinding(key.WithKeys("?", "h"), key.WithHelp("h/?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		Yes:         key.NewBinding(key.WithKeys("y", "Y")),
		GateDetails: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "details")),
		Close:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("d/esc", "close details")),
		Confirm:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "deploy")),
		Refuse:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "refuse")),
		Interrupt:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "interrupt")),
	}
}

// ShortHelp is the one-line help.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Continue, k.Scroll, k.Details, k.Copy, k.Help, k.Quit}
}

// FullHelp is the help shown after '?'.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Continue, k.Details, k.Copy},
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Follow},
		{k.Help, k.Quit},
	}
}
