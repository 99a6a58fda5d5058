package flyctl

import (
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/redact"
)

func TestShownCommand(t *testing.T) {
	for _, tt := range []struct {
		argv      []string
		want, app string
	}{
		{[]string{"/usr/local/bin/flyctl", "deploy", "--remote-only", "--strategy", "rolling", "-a", "autonomath-api"}, "flyctl deploy --remote-only --strategy rolling -a autonomath-api", "autonomath-api"},
		{[]string{"/opt/jpops", "sim", "flyctl", "deploy", "--app=demo"}, "flyctl deploy --app=demo", "demo"},
		{[]string{"/usr/bin/fly", "deploy", "-t", "opaque-token-value", "--access-token=other-opaque", "-a=x"}, "fly deploy -t '[REDACTED]' '--access-token=[REDACTED]' -a=x", "x"},
		{[]string{"flyctl", "deploy", "--build-arg", "NOTE=two words", "--label", "it's"}, `flyctl deploy --build-arg 'NOTE=two words' --label 'it'\''s'`, ""},
		{[]string{"flyctl", "deploy", "FlyV1 fm2_abcdefgh"}, `flyctl deploy '[REDACTED]'`, ""},
	} {
		spec := Spec{Argv: tt.argv, Redactor: redact.New()}
		if got := strings.Join(shownCommand(spec), " "); got != tt.want {
			t.Errorf("shownCommand(%q) = %q, want %q", tt.argv, got, tt.want)
		}
		if got := appOf(tt.argv); got != tt.app {
			t.Errorf("appOf(%q) = %q, want %q", tt.argv, got, tt.app)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	argv := []string{"/usr/local/bin/flyctl", "deploy", "-a", "app"}
	tail := []Line{{Stream: Stderr, Text: "Error: boom"}}
	for _, tt := range []struct {
		name   string
		e      *Error
		starts string
		has    []string
	}{
		{"exit", newError(Spec{Argv: argv}, Result{ExitCode: 1, Tail: tail}, ReasonExit, nil),
			"flyctl deploy exited 1", []string{"Error: boom", "rerun `flyctl deploy -a app` by hand", "`flyctl releases -a app`"}},
		{"idle", newError(Spec{Argv: argv, IdleTimeout: 600_000_000_000}, Result{ExitCode: -1, Signaled: true, Idle: true}, ReasonIdle, nil),
			"flyctl deploy printed nothing for 10m0s", []string{"may still be going on at Fly", "escape.idle_timeout"}},
		{"timeout", newError(Spec{Argv: argv, Timeout: 3_600_000_000_000}, Result{TimedOut: true}, ReasonTimeout, nil),
			"flyctl deploy was still running at its 1h0m0s timeout", []string{"escape.timeout"}},
		{"interrupted", newError(Spec{Argv: argv}, Result{ExitCode: 127, Duration: 1}, ReasonInterrupted, errInterrupted),
			"flyctl deploy was interrupted", []string{"exit 127", "different images"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.e.Error()
			if !strings.HasPrefix(msg, tt.starts) {
				t.Errorf("message starts %q, want %q", msg, tt.starts)
			}
			for _, h := range tt.has {
				if !strings.Contains(msg, h) {
					t.Errorf("message lacks %q:\n%s", h, msg)
				}
			}
		})
	}
}
