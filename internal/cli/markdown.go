package cli

import (
	"fmt"
	"os"
	"strings"

	"charm.land/glamour/v2"
	"charm.land/glamour/v2/styles"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"

	"github.com/jpops-dev/jpops/internal/iostreams"
)

// markdownFace is how Markdown reaches standard output.
type markdownFace int

const (
	markdownPlain  markdownFace = iota // as written: piped, redirected, TERM=dumb
	markdownLayout                     // laid out for a terminal, no colour (NO_COLOR)
	markdownColour                     // laid out and coloured
)

// markdownFaceOf picks the face: Markdown is rendered only for a person
// at a terminal; anything that reads the output as a file gets it as
// written.
func markdownFaceOf(ios *iostreams.IOStreams, getenv func(string) string) markdownFace {
	switch {
	case !ios.IsStdoutTTY() || getenv("TERM") == "dumb":
		return markdownPlain
	case !ios.ColorEnabled():
		return markdownLayout
	}
	return markdownColour
}

// writeMarkdown writes md to standard output in the face the terminal
// takes: glamour's dark style (GLAMOUR_STYLE=light or another of glamour's
// styles to change it) wrapped to the terminal's width, its ASCII style
// under NO_COLOR, and the Markdown untouched off a terminal. If rendering
// fails the Markdown is written as it is: the draft is never lost to its
// looks.
func writeMarkdown(ios *iostreams.IOStreams, getenv func(string) string, md string) error {
	face := markdownFaceOf(ios, getenv)
	if face != markdownPlain {
		style := styles.AsciiStyle
		if face == markdownColour {
			style = styles.DarkStyle
			if s := getenv("GLAMOUR_STYLE"); s != "" && styles.DefaultStyles[s] != nil {
				style = s
			}
		}
		r, err := glamour.NewTermRenderer(glamour.WithStandardStyle(style), glamour.WithWordWrap(terminalWidth(ios)))
		if err == nil {
			var out string
			if out, err = r.Render(md); err == nil {
				if face == markdownLayout {
					out = ansi.Strip(out) // even the ASCII style writes hyperlinks as escape codes
				}
				md = out
			}
		}
	}
	_, err := fmt.Fprint(ios.Out, md)
	return err
}

// terminalWidth is standard output's width, for wrapping: 80 when it
// cannot be read, at most 120 so lines stay readable on a wide screen.
func terminalWidth(ios *iostreams.IOStreams) int {
	if f, ok := ios.Out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			return min(w, 120)
		}
	}
	return 80
}

// eventsMarkdown lays out journal show's lines as a Markdown document for
// a terminal: the journal as a heading, one list item per event.
func eventsMarkdown(title string, lines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", markdownEscape(title))
	for _, l := range lines {
		fmt.Fprintf(&b, "- %s\n", markdownEscape(l))
	}
	return b.String()
}

// markdownEscape keeps an event line literal in Markdown.
func markdownEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`).Replace(s)
}
