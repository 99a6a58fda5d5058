package cli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// A command run through the tree Main builds for it (the root and that
// command alone) has the same help, flags and flag defaults as in the
// whole tree that help, completion and the reference pages use.
func TestLazyTreeMatchesTheWholeTree(t *testing.T) {
	f, _, _ := testFactory(t, false, nil)
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if len(path) > 0 {
			paths = append(paths, path)
		}
		for _, cc := range c.Commands() {
			if cc.Name() == "help" || cc.Name() == "completion" || strings.HasPrefix(cc.Name(), "__") {
				continue
			}
			walk(cc, append(slices.Clone(path), cc.Name()))
		}
	}
	walk(NewRoot(f), nil)
	if len(paths) < 14 {
		t.Fatalf("only %d commands found", len(paths))
	}
	for _, path := range paths {
		t.Run(strings.Join(path, " "), func(t *testing.T) {
			args := append(slices.Clone(path), "--help")
			whole, wout, _ := testFactory(t, false, nil)
			root := NewRoot(whole)
			root.SetArgs(args)
			root.SetOut(whole.IO.Out)
			root.SetErr(whole.IO.ErrOut)
			if _, err := root.ExecuteC(); err != nil {
				t.Fatal(err)
			}
			lazy, lout, lerr := testFactory(t, false, nil)
			if code := Main(context.Background(), lazy, args); code != 0 {
				t.Fatalf("exit %d: %s", code, lerr)
			}
			if lout.String() != wout.String() {
				t.Errorf("help differs from the whole tree's:\n--- lazy\n%s\n--- whole\n%s", lout, wout)
			}
		})
	}
}

func TestCommandName(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"version"}, "version"},
		{[]string{"-t", "tok", "diagnose", "-a", "x"}, "diagnose"},
		{[]string{"--access-token", "tok", "run"}, "run"},
		{[]string{"--access-token=tok", "run"}, "run"},
		{[]string{"--runbook", "r.yaml", "drill"}, "drill"},
		{[]string{"-ttok", "watch"}, "watch"},
		{[]string{"--version"}, ""},
		{[]string{"--", "version"}, ""},
		{[]string{"help", "run"}, "help"},
	}
	for _, tt := range tests {
		if got := commandName(tt.args); got != tt.want {
			t.Errorf("commandName(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}
