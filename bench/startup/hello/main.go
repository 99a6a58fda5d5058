// Command hello is the start-up baseline of bench/startup: a cobra
// program with one subcommand that prints a line, built the same way as
// jpops in the same run.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{Use: "hello", SilenceUsage: true}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run:   func(cmd *cobra.Command, args []string) { fmt.Fprintln(cmd.OutOrStdout(), "hello dev") },
	})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
