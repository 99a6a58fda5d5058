package cli

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// A command blocked where its context cannot reach (a read of a pipe that
// never ends) still ends within the stop bound of one SIGTERM, exit 130.
func TestOneSignalEndsABlockedCommandWithinTheBound(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	pr, pw := io.Pipe() // stdin that never delivers a byte nor ends
	defer pw.Close()
	reading := make(chan struct{})
	ios.In = &firstRead{r: pr, reading: reading}
	sig := make(chan os.Signal, 1)
	f := NewFactory(ios)
	f.Getenv, f.Home = func(string) string { return "" }, t.TempDir()
	f.Signals = func() <-chan os.Signal { return sig }
	f.StopBound = 300 * time.Millisecond
	done := make(chan int, 1)
	go func() { done <- Main(context.Background(), f, []string{"scan", "-"}) }()
	// A signal before the first read ends scan at that read's context
	// check, never reaching the bound: wait until scan is in its read.
	select {
	case <-reading:
	case <-time.After(time.Minute):
		t.Fatal("scan never read its input")
	}
	start := time.Now()
	sig <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != verdict.ExitInterrupted {
			t.Errorf("exit %d, want %d", code, verdict.ExitInterrupted)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("ended %s after the signal, bound 300ms", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("one SIGTERM did not end the command within 10s")
	}
	if got := errOut.String(); !strings.Contains(got, "exiting now") {
		t.Errorf("stderr %q does not say why it exits", got)
	}
}

// firstRead closes reading when the first Read reaches r: past the
// caller's own checks, about to block.
type firstRead struct {
	r       io.Reader
	reading chan struct{}
	once    sync.Once
}

func (f *firstRead) Read(p []byte) (int, error) {
	f.once.Do(func() { close(f.reading) })
	return f.r.Read(p)
}

// Signal handling starts only for a command a signal can stop: a bare
// start (version, help, completion, a mistake) pays nothing for it.
func TestSignalsStartOnlyForStoppableCommands(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"version"}, false},
		{[]string{"--version"}, false},
		{[]string{}, false},
		{[]string{"help", "scan"}, false},
		{[]string{"scan", "--help"}, false},
		{[]string{"completion", "bash"}, false},
		{[]string{"no-such-command"}, false},
		{[]string{"scan", "-"}, true},
		{[]string{"-t", "scan", "journal", "list"}, true},
		{[]string{"journal", "list"}, true},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := NewFactory(ios)
			f.Getenv, f.Home = func(string) string { return "" }, t.TempDir()
			t.Setenv("JPOPS_STATE_DIR", t.TempDir())
			started := false
			f.Signals = func() <-chan os.Signal { started = true; return make(chan os.Signal) }
			Main(context.Background(), f, tc.args)
			if started != tc.want {
				t.Errorf("signal handling started: %v, want %v", started, tc.want)
			}
		})
	}
}
