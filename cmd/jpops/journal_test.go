//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/journal"
)

// Planted secrets: the token jpops is given, and what a chatty flyctl
// prints. None may reach any output, the journal or the post-mortem.
const (
	plantedToken     = "FlyV1 fm2_plantedSECRETlUXN1eS5kZXYvam9wc2FsZGF0YQ"
	plantedTokenPart = "plantedSECRET"
	plantedOrgToken  = "fo1_orgSECRETqwertyuiopasdfghjkl"
	plantedOrgPart   = "orgSECRET"
)

func TestJournalAndPostmortem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSimToken("db-boot-hang", plantedToken)
	flyctl, _ := flyctlWrapper(t, "echo 'token: "+plantedToken+"' >&2\necho 'org token "+plantedOrgToken+"'", "")
	r := e.run(append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)...)
	wantCode(t, r, 0)
	path, evs := e.onlyJournal()
	id := evs[0].Incident

	// The chatty flyctl's lines were journaled, masked.
	if !e.journalHas(journal.KindCommandOutput, "token: ") {
		t.Error("the planted flyctl line is not in the journal: the secrets test proves nothing")
	}

	// Files: the journal is private.
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("journal mode %o, want 600", m)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if m := di.Mode().Perm(); m != 0o700 {
		t.Errorf("journal dir mode %o, want 700", m)
	}

	list := e.run("journal", "list")
	wantCode(t, list, 0)
	wantIn(t, "journal list", list.stdout, id, "RECOVERED")

	show := e.run("journal", "show", "latest")
	wantCode(t, show, 0)
	wantIn(t, "journal show", show.stdout, "incident_start", "verdict", "RECOVERED", "command_start")

	pmPath := filepath.Join(t.TempDir(), "pm.md")
	pm := e.run("postmortem", "latest", "-o", pmPath)
	wantCode(t, pm, 0)
	md, err := os.ReadFile(pmPath)
	if err != nil {
		t.Fatalf("postmortem -o wrote nothing: %v\n%s", err, pm)
	}
	wantIn(t, "post-mortem", string(md), "| Time UTC | Event | Source |", "integrity_check", "flyctl deploy")
	if !strings.HasPrefix(string(md), "#") {
		t.Errorf("post-mortem does not start with a Markdown title: %q", clip(string(md)))
	}

	journalText, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"run stdout": r.stdout, "run stderr": r.stderr, "journal": string(journalText),
		"journal show": show.stdout + show.stderr, "journal list": list.stdout + list.stderr,
		"post-mortem": string(md) + pm.stdout + pm.stderr,
	} {
		for _, secret := range []string{plantedTokenPart, plantedOrgPart, "lUXN1eS5kZXYvam9wc2FsZGF0YQ"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows the secret %q", name, secret)
			}
		}
	}
}

func TestJournalShowNothingYet(t *testing.T) {
	t.Parallel()
	r := newEnv(t).run("journal", "show", "latest")
	wantCode(t, r, 1)
	wantIn(t, "stderr", r.stderr, "no incident journals")
}

// A token given on the command line is as secret as one in the environment.
func TestTokenFlagNeverShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSimToken("db-boot-hang", plantedToken)
	delete(e.vars, "FLY_API_TOKEN")
	flyctl, _ := flyctlWrapper(t, "", "")
	args := append([]string{"run", "--yes", "-t", plantedToken}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
	r := e.run(args...)
	path, evs := e.onlyJournal()
	if kinds(evs)[journal.KindCommandStart] != 1 {
		t.Fatalf("the walk did not reach the deploy:\n%s", r)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	show := e.run("journal", "show", "latest", "--json")
	for name, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "journal": string(body), "journal show": show.stdout} {
		if strings.Contains(text, plantedTokenPart) {
			t.Errorf("%s shows the token given with -t", name)
		}
	}

	// The -t token reaches flyctl too, or the deploy would fail where
	// jpops's own calls succeed.
	wantCode(t, r, 0)
}
