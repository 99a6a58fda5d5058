package advice

import (
	"slices"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		command string
		safe    bool
		why     string // part of the refusal
	}{
		{"jpops run -a autonomath-api", true, ""},
		{"jpops resume 20261203T144923Z-autonomath-api-ff29", true, ""},
		{"jpops diagnose -a autonomath-api", true, ""},
		{"jpops smoke -a autonomath-api --image registry.fly.io/autonomath-api:deployment-01M8Y693A2P8M97ZDGJ959NHB5", true, ""},
		{"jpops smoke -a autonomath-api --image autonomath-api@sha256:9b05", true, ""},
		{"jpops audit '/srv/my app/entrypoint.sh'", true, ""},
		{`jpops audit "/srv/my app/entrypoint.sh"`, true, ""},
		{"flyctl logs -a autonomath-api -m 85e273f4b1c638 --no-tail", true, ""},
		{"flyctl machine list -a autonomath-api", true, ""},
		{"flyctl releases -a autonomath-api --image", true, ""},
		{"fly status -a autonomath-api", true, ""},

		{"", false, "no command"},
		{"flyctl deploy --remote-only --strategy rolling -a autonomath-api", false, "deploys"},
		{"fly deploy", false, "deploys"},
		{"jpops run -a autonomath-api --yes", false, "--yes"},
		{"jpops run -a autonomath-api --yes=true", false, "--yes"},
		{"jpops drill -y", false, "--yes"},
		{"jpops run -a autonomath-api --force", false, "--force"},
		{"jpops watch -a autonomath-api", false, "jpops watch"},
		{"flyctl machine destroy 85e273f4b1c638", false, "change machines"},
		{"flyctl machine", false, "change machines"},
		{"flyctl secrets set A=B", false, "flyctl secrets"},
		{"rm -rf /", false, "not jpops or flyctl"},
		{"jpops", false, "alone"},
		{"flyctl logs -a x   # then jpops smoke", false, "shell syntax"},
		{"rerun `flyctl deploy -a x` by hand", false, "shell syntax"},
		{"flyctl logs -a x; flyctl deploy -a x", false, "shell syntax"},
		{"flyctl logs -a x && flyctl deploy", false, "shell syntax"},
		{"flyctl logs -a x | sh", false, "shell syntax"},
		{"flyctl logs -a $(flyctl deploy)", false, "shell syntax"},
		{"flyctl logs -a x > /etc/passwd", false, "shell syntax"},
		{"jpops audit ~/entrypoint.sh", false, "shell syntax"},
		{"jpops audit *.sh", false, "shell syntax"},
		{"jpops run -a 'x\ny'", false, "shell syntax"},
		{"jpops run -a x\tflyctl", false, "control"},
		{"A=1 jpops run -a x", false, "plain command"},
		{"jpops run -a 'x", false, "parse"},
		{"flyctl logs -a \"x'", false, "parse"},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			err := Check(tt.command)
			if tt.safe {
				if err != nil {
					t.Fatalf("refused a safe command: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("found it safe to paste")
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("refusal %q does not say %q", err, tt.why)
			}
		})
	}
}

func TestPaste(t *testing.T) {
	tests := []struct {
		name string
		a    Advice
		want string
		why  string
	}{
		{"command and note", Advice{Command: "jpops run -a x", Note: "when ready"}, "jpops run -a x", ""},
		{"a note only", Noted("rerun from the deploy directory (--dir DIR)"), "", "a note"},
		{"nothing", Advice{}, "", "no next step"},
		{"a deploy", Advice{Command: "flyctl deploy -a x"}, "", "deploys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.Paste()
			if got != tt.want {
				t.Errorf("Paste() = %q, want %q", got, tt.want)
			}
			if (err != nil) != (tt.why != "") || (err != nil && !strings.Contains(err.Error(), tt.why)) {
				t.Errorf("Paste() error %v, want one saying %q", err, tt.why)
			}
		})
	}
}

func TestJoinReadsBackAsArgv(t *testing.T) {
	for _, argv := range [][]string{
		{"jpops", "run", "-a", "autonomath-api"},
		{"jpops", "audit", "/srv/my app/entrypoint.sh"},
		{"jpops", "audit", "it's.sh"},
		{"jpops", "audit", ""},
	} {
		line := Join(argv...)
		got, err := words(line)
		if err != nil || !slices.Equal(got, argv) {
			t.Errorf("Join(%q) = %q, read back as %q (%v)", argv, line, got, err)
		}
	}
	if Join("jpops", "run", "-a", "autonomath-api") != "jpops run -a autonomath-api" {
		t.Errorf("plain words are quoted: %q", Join("jpops", "run", "-a", "autonomath-api"))
	}
}

// TestLegacy splits every form of advice journals held before next_note:
// the forms below are those the engine wrote (see testdata/v0 of the
// journal package).
func TestLegacy(t *testing.T) {
	tests := []struct {
		in   string
		want Advice
	}{
		{"", Advice{}},
		{"jpops run -a autonomath-api", Advice{Command: "jpops run -a autonomath-api"}},
		{"flyctl logs -a autonomath-api --no-tail", Advice{Command: "flyctl logs -a autonomath-api --no-tail"}},
		{
			"flyctl logs -a autonomath-api -m 85e273f4b1c638 --no-tail   # then jpops smoke -a autonomath-api --image sha256:9b05",
			Advice{Command: "flyctl logs -a autonomath-api -m 85e273f4b1c638 --no-tail", Note: "then jpops smoke -a autonomath-api --image sha256:9b05"},
		},
		{
			"jpops diagnose -a x   # or jpops run -a x --force if you are sure",
			Advice{Command: "jpops diagnose -a x", Note: "or jpops run -a x --force if you are sure"},
		},
		{
			"rerun `flyctl deploy --remote-only --strategy rolling -a x` by hand to see the full output, or check `flyctl releases -a x`; the machines still run their recorded images",
			Advice{Note: "rerun `flyctl deploy --remote-only --strategy rolling -a x` by hand to see the full output, or check `flyctl releases -a x`; the machines still run their recorded images"},
		},
		{
			"jpops smoke -a x --image REF   # with the image from `flyctl releases -a x --image`",
			Advice{Note: "jpops smoke -a x --image REF   # with the image from `flyctl releases -a x --image`"},
		},
		{
			"install flyctl (https://fly.io/docs/flyctl/install/), or pass --flyctl PATH / set JPOPS_FLYCTL; nothing was deployed",
			Advice{Note: "install flyctl (https://fly.io/docs/flyctl/install/), or pass --flyctl PATH / set JPOPS_FLYCTL; nothing was deployed"},
		},
	}
	for _, tt := range tests {
		if got := Legacy(tt.in); got != tt.want {
			t.Errorf("Legacy(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// FuzzCheck holds Check to what it promises: a command it passes is one
// plain jpops or flyctl command with no shell syntax and no gate-passing
// flag, and it reads back as the same words when joined again.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"jpops run -a x", "flyctl logs -a x --no-tail", "jpops audit '/a b/c.sh'", `jpops audit "a b"`,
		"flyctl deploy -a x", "jpops run -a x --yes", "flyctl logs -a x   # note", "a `b` c", "fly machine list",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, command string) {
		if Check(command) != nil {
			return
		}
		if strings.ContainsAny(command, "`;&|<>$\n") {
			t.Fatalf("passed a line with shell syntax: %q", command)
		}
		argv, err := words(command)
		if err != nil {
			t.Fatalf("passed a line it cannot split: %q: %v", command, err)
		}
		if argv[0] != "jpops" && argv[0] != "flyctl" && argv[0] != "fly" {
			t.Fatalf("passed a program that is not jpops or flyctl: %q", command)
		}
		for _, a := range argv {
			if a == "--yes" || a == "-y" || a == "--force" {
				t.Fatalf("passed %q in %q", a, command)
			}
		}
		if argv[0] != "jpops" && argv[1] == "deploy" {
			t.Fatalf("passed a deploy: %q", command)
		}
		again, err := words(Join(argv...))
		if err != nil || !slices.Equal(again, argv) {
			t.Fatalf("%q: argv %q joins to %q, read back as %q (%v)", command, argv, Join(argv...), again, err)
		}
	})
}

// FuzzLegacy holds the reading of old advice to its promise: prose is never
// taken for a command, and the split loses nothing but the separator.
func FuzzLegacy(f *testing.F) {
	for _, s := range []string{
		"jpops run -a x", "flyctl logs -a x --no-tail   # then jpops smoke -a x --image y",
		"rerun `flyctl deploy -a x` by hand", "jpops smoke -a x --image REF   # with `flyctl releases -a x --image`",
		"install flyctl, or pass --flyctl PATH", "  ", "fly#x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := Legacy(s)
		trimmed := strings.TrimSpace(s)
		if a.Command == "" {
			if a.Note != trimmed {
				t.Fatalf("Legacy(%q): note %q, want the whole text", s, a.Note)
			}
			return
		}
		if strings.Contains(s, "`") {
			t.Fatalf("Legacy(%q): command %q dug out of prose with backticks", s, a.Command)
		}
		if strings.Contains(a.Command, " #") || a.Command != strings.TrimSpace(a.Command) {
			t.Fatalf("Legacy(%q): command %q holds its note or stray space", s, a.Command)
		}
		if first, _, _ := strings.Cut(a.Command, " "); first != "jpops" && first != "flyctl" && first != "fly" {
			t.Fatalf("Legacy(%q): command %q is not jpops or flyctl", s, a.Command)
		}
		if !strings.HasPrefix(trimmed, a.Command) || !strings.Contains(trimmed, a.Note) {
			t.Fatalf("Legacy(%q) = %+v: not a split of the text", s, a)
		}
	})
}
