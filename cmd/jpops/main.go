// Command jpops walks a Fly.io DB-boot-hang outage and rehearses it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/jpops-dev/jpops/internal/cli"
	"github.com/jpops-dev/jpops/internal/iostreams"
)

func main() {
	f := cli.NewFactory(iostreams.System())
	// Signals go to the command: the escape deploy forwards them to flyctl,
	// everything else stops cleanly on the first and exits on the second.
	// SIGHUP (the terminal went away) counts too, so a drill cleans up.
	f.Signals = func() <-chan os.Signal {
		sig := make(chan os.Signal, 4)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		return sig
	}
	os.Exit(cli.Main(context.Background(), f, os.Args[1:]))
}
