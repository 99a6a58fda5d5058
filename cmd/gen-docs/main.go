// Command gen-docs writes jpops' CLI reference (Markdown) and man pages
// from its command tree. It is a separate program so the renderers stay
// out of the jpops binary.
//
//	go run ./cmd/gen-docs --md docs/cli --man docs/man
//	go run ./cmd/gen-docs --man manpages --date 2026-12-03T14:00:00Z   # a release: the commit's date
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/jpops-dev/jpops/internal/cli"
	"github.com/jpops-dev/jpops/internal/gendocs"
	"github.com/jpops-dev/jpops/internal/iostreams"
)

func main() {
	md := flag.String("md", "", "write the Markdown reference into `DIR`")
	man := flag.String("man", "", "write the man pages into `DIR`")
	dateFlag := flag.String("date", "", "date the man pages that changed (`YYYY-MM-DD` or RFC3339, as the release's commit date); default SOURCE_DATE_EPOCH, then today")
	flag.Parse()
	if *md == "" && *man == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen-docs [--md DIR] [--man DIR] [--date DATE] (at least one of --md and --man)")
		os.Exit(2)
	}
	var date time.Time
	if *dateFlag != "" {
		var err error
		if date, err = time.Parse(time.RFC3339, *dateFlag); err != nil {
			if date, err = time.Parse(time.DateOnly, *dateFlag); err != nil {
				fmt.Fprintf(os.Stderr, "gen-docs: --date %q: want YYYY-MM-DD or an RFC3339 time\n", *dateFlag)
				os.Exit(2)
			}
		}
	}
	// No environment: defaults read from it (FLY_APP, ...) must not leak
	// into the pages.
	f := cli.NewFactory(iostreams.System())
	f.Getenv = func(string) string { return "" }
	if err := gendocs.Write(cli.NewRoot(f), *md, *man, date.UTC()); err != nil {
		fmt.Fprintln(os.Stderr, "gen-docs:", err)
		os.Exit(1)
	}
}
