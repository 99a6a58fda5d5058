// Command gen-docs writes jpops' CLI reference (Markdown) and man pages
// from its command tree. It is a separate program so the renderers stay
// out of the jpops binary.
//
//	go run ./cmd/gen-docs --md docs/cli --man docs/man
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/jpops-dev/jpops/internal/cli"
	"github.com/jpops-dev/jpops/internal/gendocs"
	"github.com/jpops-dev/jpops/internal/iostreams"
)

func main() {
	md := flag.String("md", "", "write the Markdown reference into `DIR`")
	man := flag.String("man", "", "write the man pages into `DIR`")
	flag.Parse()
	if *md == "" && *man == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen-docs [--md DIR] [--man DIR] (at least one)")
		os.Exit(2)
	}
	// No environment: defaults read from it (FLY_APP, ...) must not leak
	// into the pages.
	root := cli.NewRoot(&cli.Env{IO: iostreams.System(), Getenv: func(string) string { return "" }})
	if err := gendocs.Write(root, *md, *man); err != nil {
		fmt.Fprintln(os.Stderr, "gen-docs:", err)
		os.Exit(1)
	}
}
