package cli

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/mdterm"
)

// markdownFace is how Markdown reaches standard output.
type markdownFace int

const (
	markdownPlain  markdownFace = iota // as written: piped, redirected, TERM=dumb
	markdownLayout                     // laid out for a terminal, no colour (NO_COLOR)
	markdownColour                     // laid out and styled
)

// markdownFaceOf picks the face: Markdown is laid out only for a person at
// a terminal; anything that reads the output as a file gets it as written.
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
// takes: laid out and wrapped to the terminal's width, without escape codes
// under NO_COLOR, and untouched off a terminal.
func writeMarkdown(ios *iostreams.IOStreams, getenv func(string) string, md string) error {
	if face := markdownFaceOf(ios, getenv); face != markdownPlain {
		md = mdterm.Render(md, mdterm.Options{Width: terminalWidth(ios), Color: face == markdownColour})
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
	return strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`, "&", `\&`).Replace(s)
}
