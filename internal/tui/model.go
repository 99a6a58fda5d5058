// Package tui is the terminal UI of `jpops run` and `jpops drill`. It only
// renders the engine's events and sends the operator's answers back: it
// never talks to Fly. The CLI feeds it with p.Send(EventMsg{...}),
// GateMsg and DoneMsg.
package tui

import (
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// EventMsg carries one engine event, in order.
type EventMsg struct{ Event journal.Event }

// GateMsg asks the operator to confirm the escape command by typing Expect
// (the app name). The UI sends exactly one answer on Reply: true to run the
// command, false to refuse (the run then ends ABORTED).
type GateMsg struct {
	Command string // the exact command line
	Dir     string // where it runs
	Expect  string // what the operator must type
	Reply   chan<- bool
}

// DoneMsg says the run finished.
type DoneMsg struct {
	Verdict     verdict.Verdict
	ExitCode    int
	Incident    string
	JournalPath string
	Next        advice.Advice // the next step: a command, and a note apart
	Err         error
}

// RetryMsg says a Fly API call is being retried (one per attempt), or,
// with Done, that a retried call ended. It is shown while it lasts.
type RetryMsg struct {
	Phase   string
	Call    string        // "list machines of app web"
	Attempt int           // the attempt that failed, from 1
	Max     int           // the most attempts the call makes
	Wait    time.Duration // before the next attempt, on the engine's clock
	Reason  string        // "503 Service Unavailable", ...
	Done    bool
	Failed  bool // with Done: the call gave up
}

// retrying is a call the API client is retrying, as shown.
type retrying struct {
	RetryMsg
	at time.Time // the engine's clock when the attempt failed
}

// Options configure the UI.
type Options struct {
	App      string
	Runbook  *runbook.Runbook // nil means runbook.Default()
	Drill    bool             // show the DRILL badge on every screen
	Scenario string           // the drill scenario, shown beside the badge

	// Interrupt is called when the operator confirms quitting while the
	// escape command runs; the engine forwards Ctrl-C to flyctl (and kills
	// it on the second call). The UI keeps running until DoneMsg.
	Interrupt func()
	// Quit is called when the operator quits at any other time.
	Quit func()
	// ExitOnDone ends the program as soon as DoneMsg arrives instead of
	// waiting for a key.
	ExitOnDone bool
	// Now is the engine's clock (simulated in drills), read every second
	// so timers tick between events; nil: they move with the events.
	Now func() time.Time
}

// tickMsg moves the timers on once a second.
type tickMsg time.Time

func tick() tea.Cmd { return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) }) }

// gate is a pending or answered confirmation.
type gate struct {
	command, dir, expect string
	reply                chan<- bool
	active               bool // waiting for the operator
	answered, confirmed  bool
	wrong                string // the last text that did not match
}

// Model is the Bubble Tea model of a run.
type Model struct {
	opts    Options
	rb      *runbook.Runbook
	keys    keyMap
	styles  styles
	profile colorprofile.Profile
	width   int
	height  int

	help      help.Model
	spin      spinner.Model
	bar       progress.Model
	input     gateInput
	details   bool // the detail view: everything, untruncated, scrolled
	detailTop int  // the detail view's first line shown
	fullHelp  bool

	run        run
	gate       gate
	scrollBack int // output lines above the tail; 0 follows the tail

	confirmQuit bool // asking "quit and send Ctrl-C to flyctl?"
	interrupts  int
	status      string

	retries []retrying // calls being retried now, oldest first

	done     bool
	result   DoneMsg
	quitting bool
	now      time.Time // the engine's clock at the last tick
}

// clock is "now" for the timers: the last tick, or the newest event when
// that is later (or there is no clock).
func (m Model) clock() time.Time {
	if m.now.After(m.run.lastTS) {
		return m.now
	}
	return m.run.lastTS
}

// New returns the model for one run.
func New(opts Options) Model {
	rb := opts.Runbook
	if rb == nil {
		rb = runbook.Default()
	}
	m := Model{
		opts:    opts,
		rb:      rb,
		keys:    defaultKeys(),
		profile: colorprofile.TrueColor,
		help:    help.New(),
		spin:    spinner.New(spinner.WithSpinner(spinner.Dot)),
		run:     newRun(rb, opts.App),
	}
	m.setStyles(true)
	return m
}

func (m *Model) setStyles(dark bool) {
	m.styles = newStyles(dark)
	m.help.Styles = m.styles.Help
	m.spin.Style = m.styles.Running
	m.bar = progress.New(progress.WithColors(m.styles.OK.GetForeground()), progress.WithFillCharacters('█', '░'), progress.WithoutPercentage())
}

// Init asks for the background colour (to pick light or dark styles) and
// starts the spinner.
func (m Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.spin.Tick, tick())
}

// Update is the only place the model changes.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
	case tea.ColorProfileMsg:
		m.profile = msg.Profile
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.clampScroll()
	case tickMsg:
		if m.opts.Now != nil && !m.done {
			m.now = m.opts.Now()
		}
		return m, tick()
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case EventMsg:
		m.run.apply(msg.Event)
		if msg.Event.Kind == journal.KindCommandExit {
			m.confirmQuit = false
		}
		m.clampScroll()
	case GateMsg:
		return m.openGate(msg)
	case RetryMsg:
		m.retried(msg)
	case DoneMsg:
		m.done, m.result = true, msg
		m.retries = nil
		m.confirmQuit = false
		m.status = "" // "waiting for flyctl…" is over; the end screen says what to do
		var cmd tea.Cmd
		if m.gate.active { // the engine gave up waiting: nobody reads the reply any more
			m.gate.active = false
		}
		if m.opts.ExitOnDone {
			m.quitting = true
			cmd = tea.Quit
		}
		return m, cmd
	case tea.PasteMsg:
		if m.gate.active {
			m.input.Update(msg)
			return m, nil
		}
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	return m, nil
}

// retried keeps the calls being retried: a new attempt replaces the
// call's last, the end of the call removes it.
func (m *Model) retried(msg RetryMsg) {
	msg.Call, msg.Reason = clean(msg.Call), clean(msg.Reason)
	kept := m.retries[:0:0]
	for _, r := range m.retries {
		if r.Call != msg.Call {
			kept = append(kept, r)
		}
	}
	if !msg.Done {
		if m.opts.Now != nil {
			m.now = m.opts.Now()
		}
		kept = append(kept, retrying{RetryMsg: msg, at: m.clock()})
	}
	m.retries = kept
}

func (m Model) openGate(msg GateMsg) (tea.Model, tea.Cmd) {
	if m.gate.active && !m.gate.answered {
		// A second gate while one waits: refuse the new one rather than
		// leave its sender blocked.
		return m, answer(msg.Reply, false)
	}
	m.gate = gate{command: clean(msg.Command), dir: clean(msg.Dir), expect: msg.Expect, reply: msg.Reply, active: true}
	if m.gate.command != "" {
		m.run.cmd.argv = m.gate.command
	}
	m.input.Reset()
	m.confirmQuit = false
	return m, nil
}

func (m Model) onKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.gate.active && (m.details || key.Matches(msg, k.GateDetails)) {
		// Letters are typed at the gate, so tab opens the details there;
		// while they show, nothing is typed and esc only closes them.
		switch {
		case key.Matches(msg, k.Interrupt):
			m.details = false
			return m.onKey(msg)
		case key.Matches(msg, k.GateDetails), key.Matches(msg, k.Close):
			m.details, m.detailTop = !m.details, 0
		default:
			m.scrollKey(msg)
		}
		return m, nil
	}
	if m.gate.active {
		switch {
		case key.Matches(msg, k.Interrupt):
			// Ctrl-C is an interrupt everywhere, the gate included: the walk
			// stops where it is (exit 130, resumable), it is not a refusal.
			m.gate.active = false
			m.quitting = true
			return m, quitAfter(m.opts.Quit)
		case key.Matches(msg, k.Refuse):
			return m.answerGate(false)
		case key.Matches(msg, k.Confirm):
			typed := m.input.Value()
			switch {
			case typed == m.gate.expect && typed != "":
				return m.answerGate(true)
			case typed == "no":
				return m.answerGate(false)
			}
			m.gate.wrong = typed
			m.input.Reset()
			return m, nil
		}
		m.input.Update(msg)
		return m, nil
	}

	if m.confirmQuit && !m.run.deploying() {
		m.confirmQuit = false
		if key.Matches(msg, k.Yes) {
			m.quitting = true
			return m, quitAfter(m.opts.Quit)
		}
		m.status = "still running"
		return m, nil
	}
	if m.confirmQuit {
		m.confirmQuit = false
		if key.Matches(msg, k.Yes) {
			m.interrupts++
			if m.interrupts == 1 {
				m.status = "sent Ctrl-C to flyctl; waiting for it to stop (quit again to kill it)"
			} else {
				m.status = "asked the engine to kill flyctl; waiting for the run to end"
			}
			return m, call(m.opts.Interrupt)
		}
		m.status = "still deploying"
		return m, nil
	}

	if m.details {
		switch {
		case key.Matches(msg, k.Details), key.Matches(msg, k.GateDetails), key.Matches(msg, k.Close):
			m.details = false
			return m, nil
		case m.scrollKey(msg):
			return m, nil
		}
	}
	switch {
	case key.Matches(msg, k.Quit):
		if m.done {
			m.quitting = true
			return m, tea.Quit
		}
		if m.run.deploying() || (m.run.current >= 0 && !m.gate.active) {
			// Something runs: one stray key must not stop it.
			m.confirmQuit = true
			return m, nil
		}
		m.quitting = true
		return m, quitAfter(m.opts.Quit)
	case key.Matches(msg, k.Continue):
		if m.done {
			m.quitting = true
			return m, tea.Quit
		}
		m.scrollBack = 0
	case key.Matches(msg, k.Details), key.Matches(msg, k.GateDetails):
		m.details, m.detailTop = true, 0
	case key.Matches(msg, k.Help):
		m.fullHelp = !m.fullHelp
		m.help.ShowAll = m.fullHelp
		m.clampScroll()
	case key.Matches(msg, k.Copy):
		return m.copyNext()
	case key.Matches(msg, k.Up):
		m.scroll(1)
	case key.Matches(msg, k.Down):
		m.scroll(-1)
	case key.Matches(msg, k.PageUp):
		m.scroll(max(1, m.outputHeight()-1))
	case key.Matches(msg, k.PageDown):
		m.scroll(-max(1, m.outputHeight()-1))
	case key.Matches(msg, k.Follow):
		m.scrollBack = 0
	}
	return m, nil
}

func (m Model) answerGate(ok bool) (tea.Model, tea.Cmd) {
	if m.gate.answered {
		return m, nil
	}
	m.gate.active, m.gate.answered, m.gate.confirmed = false, true, ok
	m.input.Reset()
	return m, answer(m.gate.reply, ok)
}

// answer sends the gate's reply from a command, so Update never blocks on
// a slow reader.
func answer(reply chan<- bool, ok bool) tea.Cmd {
	if reply == nil {
		return nil
	}
	return func() tea.Msg {
		reply <- ok
		return nil
	}
}

// quitAfter calls f (if set), then ends the program.
func quitAfter(f func()) tea.Cmd {
	return func() tea.Msg {
		if f != nil {
			f()
		}
		return tea.QuitMsg{}
	}
}

func call(f func()) tea.Cmd {
	if f == nil {
		return nil
	}
	return func() tea.Msg {
		f()
		return nil
	}
}

// scrollKey scrolls the detail view by the key, if it is a scroll key.
func (m *Model) scrollKey(msg tea.KeyPressMsg) bool {
	k, page := m.keys, max(1, m.detailBodyHeight()-1)
	switch {
	case key.Matches(msg, k.Up):
		m.scrollDetails(-1)
	case key.Matches(msg, k.Down):
		m.scrollDetails(1)
	case key.Matches(msg, k.PageUp):
		m.scrollDetails(-page)
	case key.Matches(msg, k.PageDown):
		m.scrollDetails(page)
	case key.Matches(msg, k.Top):
		m.detailTop = 0
	case key.Matches(msg, k.Follow):
		m.scrollDetails(1 << 30)
	default:
		return false
	}
	return true
}

func (m *Model) scroll(n int) {
	m.scrollBack += n
	m.clampScroll()
}

func (m *Model) clampScroll() {
	if m.scrollBack == 0 { // following the tail: nothing to clamp, and layout is not free
		return
	}
	limit := max(0, len(m.run.output)-m.outputHeight())
	m.scrollBack = min(max(m.scrollBack, 0), limit)
}

// View draws the screen on the alternate screen, so the summary the CLI
// prints after exit is what stays in the scrollback.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "jpops · " + m.run.app
	return v
}

// Quitting reports whether the operator asked the program to end.
func (m Model) Quitting() bool { return m.quitting }

// Done reports whether the run finished, and how.
func (m Model) Done() (DoneMsg, bool) { return m.result, m.done }
