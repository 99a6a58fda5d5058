package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// want is one expected finding: "op@line" or "op@line in f".
func summarize(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		s := f.Op + "@" + itoa(f.Line)
		if f.InFunction != "" {
			s += " in " + f.InFunction
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestScript(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unguarded integrity_check in $(...)",
			`log "running integrity_check on $DB_PATH ..."; integrity=$(sqlite3 "$DB_PATH" 'PRAGMA integrity_check;' 2>&1)`,
			[]string{"integrity_check@1"}},
		{"comment and log message only",
			"# PRAGMA integrity_check runs here no more\nlog \"running integrity_check on $DB_PATH ...\"\necho 'VACUUM is forbidden at boot'\n",
			nil},
		{"double-quoted VACUUM", `sqlite3 "$DB" "VACUUM"`, []string{"vacuum@1"}},
		{"REINDEX and ANALYZE in one call", `sqlite3 /data/app.db 'REINDEX; ANALYZE;'`, []string{"reindex@1", "analyze@1"}},
		{"auto_vacuum pragma is not a vacuum", `sqlite3 "$DB" 'PRAGMA auto_vacuum = INCREMENTAL;'`, nil},
		{"quick_check through a here-doc",
			"sqlite3 \"$DB\" <<SQL\n.timeout 5000\nPRAGMA quick_check;\nSQL\n",
			[]string{"quick_check@1"}},
		{"SQL comment in a here-doc",
			"sqlite3 \"$DB\" <<'SQL'\n-- PRAGMA integrity_check; too slow on the volume\nSELECT count(*) FROM meta;\nSQL\n",
			nil},
		{"here-string", `sqlite3 "$DB" <<< 'PRAGMA integrity_check'`, []string{"integrity_check@1"}},
		{"piped echo", `echo 'VACUUM;' | sqlite3 "$DB"`, []string{"vacuum@1"}},
		{"piped here-doc through cat", "cat <<EOF | sqlite3 \"$DB\"\nANALYZE;\nEOF\n", []string{"analyze@1"}},
		{"-cmd option", `sqlite3 -bail -cmd 'PRAGMA quick_check' "$DB" .quit`, []string{"quick_check@1"}},
		{"wrapper: timeout", `timeout 30 sqlite3 "$DB" 'VACUUM'`, []string{"vacuum@1"}},
		{"size gate with if",
			"size=$(stat -c %s \"$DB\")\nif [ \"$size\" -lt 1000000000 ]; then\n  sqlite3 \"$DB\" 'VACUUM'\nfi\n",
			nil},
		{"size gate with [[ ]] and wc -c",
			"if [[ $(wc -c < \"$DB\") -le $LIMIT ]]; then sqlite3 \"$DB\" 'PRAGMA integrity_check'; fi\n",
			nil},
		{"size gate with (( ))",
			"if (( db_bytes < threshold )); then sqlite3 \"$DB\" 'REINDEX'; fi\n",
			nil},
		{"if on a non-size test is no guard",
			"if [ -f \"$DB\" ]; then\n  sqlite3 \"$DB\" 'PRAGMA integrity_check'\nfi\n",
			[]string{"integrity_check@2"}},
		{"retry count compare is no guard",
			"if [ \"$attempt\" -gt 3 ]; then sqlite3 \"$DB\" 'VACUUM'; fi\n",
			[]string{"vacuum@1"}},
		{"override variable",
			"if [ \"${BOOT_ENFORCE_INTEGRITY_CHECK:-0}\" = \"1\" ]; then\n  sqlite3 \"$DB\" 'PRAGMA integrity_check'\nfi\n",
			nil},
		{"override variable else branch",
			"if [ \"${BOOT_SKIP_VACUUM:-0}\" = 1 ]; then\n  :\nelse\n  sqlite3 \"$DB\" VACUUM\nfi\n",
			nil},
		{"override in && chain",
			`[ "$ALLOW_BOOT_ANALYZE" = 1 ] && sqlite3 "$DB" 'ANALYZE'`,
			nil},
		{"unguarded op on the left of &&",
			`sqlite3 "$DB" 'VACUUM' && log "vacuum done"`,
			[]string{"vacuum@1"}},
		{"early exit on size in a function that is called",
			"maint() {\n  [ \"$(stat -c %s \"$DB\")\" -lt 5000000000 ] || return 0\n  sqlite3 \"$DB\" 'VACUUM'\n}\nmaint\n",
			nil},
		{"early exit on a non-size test",
			"[ -f \"$DB\" ] || exit 1\nsqlite3 \"$DB\" 'ANALYZE'\n",
			[]string{"analyze@2"}},
		{"early exit with if override",
			"if [ \"${SKIP_BOOT_CHECKS:-0}\" = 1 ]; then\n  exec \"$@\"\n  exit 0\nfi\nsqlite3 \"$DB\" 'PRAGMA quick_check'\n",
			nil},
		{"elif before the guard is not guarded",
			"if [ -n \"$FAST\" ]; then\n  sqlite3 \"$DB\" 'PRAGMA quick_check'\nelif [ \"$size\" -ge \"$threshold\" ]; then\n  :\nelse\n  sqlite3 \"$DB\" 'PRAGMA integrity_check'\nfi\n",
			[]string{"quick_check@2"}},
		{"trusted stamp",
			"if trusted_stamp_match; then log skip; else sqlite3 \"$DB\" 'PRAGMA integrity_check'; fi\n",
			nil},
		{"function called at top level",
			"check_db() {\n  sqlite3 \"$DB_PATH\" 'PRAGMA integrity_check;'\n}\ncheck_db\n",
			[]string{"integrity_check@2 in check_db"}},
		{"function called through another function",
			"function inner { sqlite3 \"$DB\" 'REINDEX'; }\nouter() { inner; }\nouter\n",
			[]string{"reindex@1 in inner"}},
		{"function never called",
			"check_db() {\n  sqlite3 \"$DB_PATH\" 'PRAGMA integrity_check;'\n}\n",
			nil},
		{"function called only behind a size gate",
			"check_db() { sqlite3 \"$DB\" 'PRAGMA integrity_check'; }\nif [ \"$db_size\" -lt \"$threshold\" ]; then check_db; fi\n",
			nil},
		{"recursive functions terminate",
			"a() { b; sqlite3 \"$DB\" VACUUM; }\nb() { a; }\na\n",
			[]string{"vacuum@1 in a"}},
		{"case on override variable",
			"case \"${BOOT_FORCE_ANALYZE:-}\" in\n  1) sqlite3 \"$DB\" ANALYZE ;;\nesac\n",
			nil},
		{"op inside a loop and a subshell",
			"for db in /data/*.db; do ( sqlite3 \"$db\" 'PRAGMA quick_check' ); done\n",
			[]string{"quick_check@1"}},
		{"op in an if condition",
			"if ! sqlite3 \"$DB\" 'PRAGMA quick_check' | grep -qx ok; then exit 1; fi\n",
			[]string{"quick_check@1"}},
		{"local assignment in a function",
			"probe() {\n  local out\n  out=$(sqlite3 \"$DB\" 'PRAGMA integrity_check')\n  local r=$(sqlite3 \"$DB\" 'PRAGMA quick_check')\n}\nprobe\n",
			[]string{"integrity_check@3 in probe", "quick_check@4 in probe"}},
		{"sha256sum of the DB unguarded", `sha256sum "$DB_PATH" > /run/db.sha`, []string{"sha256@1"}},
		{"sha256sum of the DB size-gated",
			"if [ \"$(stat -c %s \"$DB_PATH\")\" -lt \"$MIN_PRODUCTION_BYTES\" ]; then\n  sha256sum \"$DB_PATH\"\nfi\n",
			nil},
		{"shasum -a 256 of a .sqlite file", `shasum -a 256 /data/app.sqlite`, []string{"sha256@1"}},
		{"openssl dgst", `openssl dgst -sha256 "${DB_FILE}"`, []string{"sha256@1"}},
		{"b2sum from stdin redirect", `b2sum < "$DB_PATH"`, []string{"sha256@1"}},
		{"md5sum through cat", `cat "$DB_PATH" | md5sum`, []string{"sha256@1"}},
		{"sha256sum of something else", `sha256sum /app/requirements.txt`, nil},
		{"sha256sum of a string is not a file scan", `echo "$DB_PATH" | sha256sum`, nil},
		{"python one-liner VACUUM",
			`python3 -c "import sqlite3; sqlite3.connect('$DB_PATH').execute('VACUUM')"`,
			[]string{"vacuum@1"}},
		{"python hashlib on the DB",
			`python3 -c "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())" "$DB_PATH"`,
			[]string{"sha256@1"}},
		{"python here-doc",
			"python3 - <<'PY'\nimport sqlite3\nsqlite3.connect('/data/autonomath.db').execute('PRAGMA integrity_check').fetchall()\nPY\n",
			[]string{"integrity_check@1"}},
		{"python without a DB", `python3 -c "print('ANALYZE the logs')"`, nil},
		{"python module run", `python3 -m app.schema_guard --db "$DB_PATH"`, nil},
		{"sqlite .sha3sum", `sqlite3 "$DB" .sha3sum`, []string{"sha256@1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkScript(t, tt.src, tt.want, "") })
	}
}

func TestCorpus(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"postmortem-s4-prefix.sh", []string{"integrity_check@3"}},
		{"postmortem-s4-postfix.sh", nil},
		{"entrypoint-prefix.sh", []string{"integrity_check@50"}},
		{"entrypoint-postfix.sh", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := filepath.Join("testdata", tt.file)
			got, err := Files([]string{p})
			if err != nil {
				t.Fatalf("Files: %v", err)
			}
			if g, w := strings.Join(summarize(got), ", "), strings.Join(tt.want, ", "); g != w {
				t.Errorf("findings = [%s], want [%s]\n%+v", g, w, got)
			}
			for _, f := range got {
				if f.File != p {
					t.Errorf("File = %q, want %q", f.File, p)
				}
			}
		})
	}
}

func TestFindingFields(t *testing.T) {
	src := "check() {\n\tintegrity=$(sqlite3 \"$DB_PATH\" 'PRAGMA integrity_check;' 2>&1)\n}\ncheck\n"
	got, err := Script("e.sh", strings.NewReader(src))
	if err != nil || len(got) != 1 {
		t.Fatalf("Script = %+v, %v; want one finding", got, err)
	}
	f := got[0]
	want := Finding{File: "e.sh", Line: 2, Col: 14, Op: OpIntegrityCheck,
		Command: `integrity=$(sqlite3 "$DB_PATH" 'PRAGMA integrity_check;' 2>&1)`, InFunction: "check"}
	f.Why = ""
	if f != want {
		t.Errorf("finding = %+v\nwant      %+v", f, want)
	}
	if !strings.Contains(got[0].Why, "in function check") || !strings.Contains(got[0].Why, "no size gate or override") {
		t.Errorf("Why = %q", got[0].Why)
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
	}{
		{"unterminated if", "", 0, 0}, // filled from testdata below
		{"unclosed quote", "echo ok\nsqlite3 \"$DB 'VACUUM'\n", 2, 9},
		{"stray fi", "echo a\nfi\n", 2, 1},
	}
	data, err := os.ReadFile(filepath.Join("testdata", "syntax-error.sh"))
	if err != nil {
		t.Fatal(err)
	}
	tests[0].src, tests[0].line, tests[0].col = string(data), 3, 1
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Script("bad.sh", strings.NewReader(tt.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.File != "bad.sh" || pe.Line != tt.line || pe.Col != tt.col || pe.Msg == "" {
				t.Errorf("ParseError = %+v, want bad.sh:%d:%d", pe, tt.line, tt.col)
			}
			if !strings.HasPrefix(pe.Error(), "bad.sh:"+itoa(tt.line)+":"+itoa(tt.col)+": ") {
				t.Errorf("Error() = %q", pe.Error())
			}
		})
	}
}

func TestFilesMissing(t *testing.T) {
	_, err := Files([]string{filepath.Join(t.TempDir(), "nope.sh")})
	if err == nil || !strings.Contains(err.Error(), "nope.sh") {
		t.Fatalf("err = %v, want a not-found error naming the file", err)
	}
}

func FuzzScript(f *testing.F) {
	for _, name := range []string{"entrypoint-prefix.sh", "entrypoint-postfix.sh", "syntax-error.sh"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Add(`echo 'VACUUM;' | sqlite3 "$DB"`)
	f.Add("sqlite3 \"$DB\" <<SQL\nPRAGMA quick_check;\nSQL\n")
	f.Add("f() { f; sqlite3 x.db ANALYZE; }; f")
	f.Add(`eval "sqlite3 \"$DB\" 'PRAGMA integrity_check'"`)
	f.Add("check() { sqlite3 \"$DB\" VACUUM; }\ntrap check EXIT\ntrap 'sqlite3 x.db ANALYZE' ERR\n")
	f.Add(`sudo -u app bash -ec "eval 'sqlite3 \"\$DB\" REINDEX'"; su app -c 'sqlite3 a.db VACUUM'`)
	f.Add("steps=(migrate check)\nfn=${HOOK:-check}\nfor s in \"${steps[@]}\"; do \"$s\"; $fn; done\ncmd='$cmd $cmd'\neval \"$cmd\"\n")
	f.Add("fn=check\nexec \"$fn\"\ntimeout -s KILL 5 $fn\nnice -n10 ionice -c3 env A=1 -u B \"$fn\"\nsudo -Eu app -- $fn\ncommand -v x\nexec\ntimeout\n")
	f.Add("busybox sh -c 'sqlite3 a.db VACUUM'\nxargs -I{} sh -c 'sqlite3 \"$1\" ANALYZE' _ {}\nfind / -size +1G -exec sqlite3 {} VACUUM \\; -execdir sh -c 'x' +\nfind -exec\n")
	f.Add(". /app/scripts/db.sh\nsource \"$(dirname \"$0\")/lib.sh\"\n. \"${BASH_SOURCE%/*}/x\"\ncommand . ./y\n.\n")
	f.Fuzz(func(t *testing.T, src string) {
		got, err := Script("fuzz.sh", strings.NewReader(src))
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) && pe.Line < 0 {
				t.Fatalf("negative line in %v", pe)
			}
			return
		}
		for _, f := range got {
			if f.Line < 1 || f.Col < 1 || f.Op == "" || strings.Contains(f.Command, "\n") {
				t.Fatalf("bad finding %+v", f)
			}
		}
	})
}

// TestCodeStrings covers strings run as code (eval, trap, sh -c, su -c) and
// indirect calls ($fn): each form found and not found, guarded and not.
func TestCodeStrings(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		want     []string
		evidence string // in the finding's Command, when set
	}{
		// eval
		{"eval of a double-quoted string",
			`eval "sqlite3 \"$DB\" 'PRAGMA integrity_check'"`,
			[]string{"integrity_check@1"}, `[runs: sqlite3 "$DB" 'PRAGMA integrity_check']`},
		{"eval of a multi-line string points at the eval line",
			"log start\neval '\n  log probing\n  sqlite3 \"$DB\" VACUUM\n'\n",
			[]string{"vacuum@2"}, `eval ' [runs: sqlite3 "$DB" VACUUM]`},
		{"eval of unquoted words", `eval sqlite3 /data/app.db REINDEX`, []string{"reindex@1"}, ""},
		{"eval calls a function", "check() { sqlite3 \"$DB\" 'PRAGMA quick_check'; }\neval check\n",
			[]string{"quick_check@1 in check"}, ""},
		{"eval of a variable assigned code", "cmd=\"sqlite3 $DB ANALYZE\"\neval \"$cmd\"\n",
			[]string{"analyze@2"}, "[runs: sqlite3 $DB ANALYZE]"},
		{"eval behind a size gate",
			`[ "$db_size" -lt "$threshold" ] && eval "sqlite3 \"$DB\" VACUUM"`, nil, ""},
		{"eval guarded inside the string",
			`eval '[ "${BOOT_ENFORCE_INTEGRITY_CHECK:-0}" = 1 ] || exit 0; sqlite3 "$DB" "PRAGMA integrity_check"'`, nil, ""},
		{"eval of a string that only mentions an op", `eval "echo 'PRAGMA integrity_check is off'"`, nil, ""},
		{"eval of a command substitution", `eval "$(ssh-agent -s)"`, nil, ""},
		{"op in a substitution inside eval reported once",
			`eval "out=$(sqlite3 "$DB" VACUUM)"`, []string{"vacuum@1"}, ""},
		{"eval of unquoted words with an escaped separator", `eval echo ok \; sqlite3 /data/x.db VACUUM`, []string{"vacuum@1"}, ""},
		{"eval of a double-quoted escaped separator", `eval "echo ok \; sqlite3 /data/x.db VACUUM"`, nil, ""},
		{"op in a default's substitution inside eval reported once",
			`eval "x=${y:-$(sqlite3 "$DB" VACUUM)}"`, []string{"vacuum@1"}, ""},
		{"eval of a string that does not parse", `eval "if then fi ((( 'x"`, nil, ""},
		// trap
		{"function called only from an EXIT trap",
			"check() { sqlite3 \"$DB\" 'PRAGMA integrity_check'; }\ntrap check EXIT\n",
			[]string{"integrity_check@1 in check"}, ""},
		{"trap action string", `trap 'sqlite3 "$DB" VACUUM' EXIT`, []string{"vacuum@1"}, ""},
		{"trap on ERR with --", `trap -- 'sqlite3 "$DB" "PRAGMA quick_check"' ERR`, []string{"quick_check@1"}, ""},
		{"trap on a signal number 0", `trap 'sqlite3 "$DB" ANALYZE' 0`, []string{"analyze@1"}, ""},
		{"trap on shutdown signals only", `trap 'sqlite3 "$DB" VACUUM' TERM INT`, nil, ""},
		{"trap reset and listing", "trap - EXIT\ntrap -p EXIT\ntrap 0 1 2\ntrap -l\n", nil, ""},
		{"trap set behind an override",
			"if [ \"${BOOT_ENFORCE_VACUUM:-0}\" = 1 ]; then\n  trap 'sqlite3 \"$DB\" VACUUM' EXIT\nfi\n", nil, ""},
		{"function trapped only behind a size gate",
			"check() { sqlite3 \"$DB\" VACUUM; }\nif (( db_bytes < threshold )); then trap check EXIT; fi\n", nil, ""},
		// sh -c and friends
		{"sh -c", `sh -c 'sqlite3 /data/x.db "PRAGMA integrity_check"'`, []string{"integrity_check@1"}, ""},
		{"bash -ec double-quoted",
			`bash -ec "sqlite3 \"$DB\" 'VACUUM'"`, []string{"vacuum@1"}, `[runs: sqlite3 "$DB" 'VACUUM']`},
		{"wrapper and -o before -c",
			`gosu app bash -o pipefail -c 'echo VACUUM | sqlite3 "$DB"'`, []string{"vacuum@1"}, ""},
		{"dash -c --", `dash -c -- 'sqlite3 /data/a.db REINDEX'`, []string{"reindex@1"}, ""},
		{"su -c", `su app -c 'sqlite3 /data/app.db REINDEX'`, []string{"reindex@1"}, ""},
		{"su --command=", `su --command='sqlite3 /data/app.db ANALYZE' app`, []string{"analyze@1"}, ""},
		{"runuser -l -c", `runuser -l app -c "sqlite3 /data/app.db ANALYZE"`, []string{"analyze@1"}, ""},
		{"runuser -u -- sh -c", `runuser -u app -- sh -c 'sqlite3 /data/app.db VACUUM'`, []string{"vacuum@1"}, ""},
		{"sh -c in a called function",
			"maint() {\n  bash -c 'sqlite3 \"$DB\" VACUUM'\n}\nmaint\n", []string{"vacuum@2 in maint"}, ""},
		{"sh -c size-gated inside the string",
			`sh -c '[ "$(stat -c %s /data/x.db)" -lt 1000000000 ] || exit 0; sqlite3 /data/x.db VACUUM'`, nil, ""},
		{"sh -c behind an override",
			`[ "${SKIP_BOOT_VACUUM:-0}" = 1 ] || sh -c 'sqlite3 /data/x.db VACUUM'`, nil, ""},
		{"sh running a script file", `sh /app/maintenance.sh VACUUM`, nil, ""},
		{"sh -c that only mentions an op", `sh -c 'echo "VACUUM disabled at boot"'`, nil, ""},
		{"sh -c running eval",
			`sh -c "eval 'sqlite3 /data/x.db VACUUM'"`, []string{"vacuum@1"}, ""},
		// indirect calls
		{"indirect call of an assigned function name",
			"check_db() { sqlite3 \"$DB\" 'PRAGMA integrity_check'; }\nfn=check_db\n$fn\n",
			[]string{"integrity_check@1 in check_db"}, ""},
		{"quoted braced indirect call of a local",
			"check() { sqlite3 \"$DB\" VACUUM; }\nrun() {\n  local fn=check\n  \"${fn}\"\n}\nrun\n",
			[]string{"vacuum@1 in check"}, ""},
		{"steps from an array through a for loop",
			"migrate() { :; }\ncheck() { sqlite3 \"$DB\" VACUUM; }\nsteps=(migrate check)\nfor s in \"${steps[@]}\"; do \"$s\"; done\n",
			[]string{"vacuum@2 in check"}, ""},
		{"default value of an indirect call",
			"check() { sqlite3 \"$DB\" ANALYZE; }\n\"${BOOT_HOOK:-check}\"\n", []string{"analyze@1 in check"}, ""},
		{"indirect tool with its arguments",
			"SQLITE=/usr/bin/sqlite3\n$SQLITE \"$DB\" 'PRAGMA quick_check'\n", []string{"quick_check@2"},
			`[runs: /usr/bin/sqlite3 "$DB" 'PRAGMA quick_check']`},
		{"indirect call of a variable never assigned", "check() { sqlite3 \"$DB\" VACUUM; }\n$BOOT_HOOK\n", nil, ""},
		{"indirect call behind a size gate",
			"check() { sqlite3 \"$DB\" VACUUM; }\nfn=check\nif [ \"$db_size\" -lt \"$threshold\" ]; then $fn; fi\n", nil, ""},
		{"transformed expansion is not followed", "check() { sqlite3 \"$DB\" VACUUM; }\nfn=xcheck\n${fn#x}\n", nil, ""},
		{"trimmed expansion is not followed", "check() { sqlite3 \"$DB\" VACUUM; }\nfn=check\n${fn#check}\n", nil, ""},
		{"op in an argument of an indirect call reported once",
			"check() { :; }\nfn=check\n\"$fn\" \"$(sqlite3 \"$DB\" VACUUM)\"\n", []string{"vacuum@3"}, ""},
		{"two ops on one inner line report once",
			`sh -c 'sqlite3 a.db VACUUM; sqlite3 b.db VACUUM'`, []string{"vacuum@1"}, ""},
		{"exec of the arguments", `exec "$@"`, nil, ""},
		{"self-referencing code terminates", "cmd='$cmd $cmd'\n$cmd\neval \"$cmd\"\n", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkScript(t, tt.src, tt.want, tt.evidence) })
	}
}

// checkScript audits src as entrypoint.sh and wants findings summarized as
// want, each complete, and each command holding evidence when it is set.
func checkScript(t *testing.T, src string, want []string, evidence string) {
	t.Helper()
	got, err := Script("entrypoint.sh", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Script: %v", err)
	}
	if g, w := strings.Join(summarize(got), ", "), strings.Join(want, ", "); g != w {
		t.Errorf("findings = [%s], want [%s]\n%+v", g, w, got)
	}
	for _, f := range got {
		if f.File != "entrypoint.sh" || f.Col < 1 || f.Command == "" || f.Why == "" || strings.Contains(f.Command, "\n") {
			t.Errorf("incomplete finding %+v", f)
		}
		if evidence != "" && !strings.Contains(f.Command, evidence) {
			t.Errorf("Command = %q, want it to contain %q", f.Command, evidence)
		}
	}
}

// TestCodeStringFields pins where a finding in a code string points and
// what it says.
func TestCodeStringFields(t *testing.T) {
	src := "set -e\nprobe() {\n  sudo -u app bash -c \"eval 'sqlite3 \\\"\\$DB\\\" VACUUM'\"\n}\nprobe\n"
	got, err := Script("e.sh", strings.NewReader(src))
	if err != nil || len(got) != 1 {
		t.Fatalf("Script = %+v, %v; want one finding", got, err)
	}
	f := got[0]
	want := Finding{File: "e.sh", Line: 3, Col: 15, Op: OpVacuum, InFunction: "probe",
		Command: `sudo -u app bash -c "eval 'sqlite3 \"\$DB\" VACUUM'" [runs: sqlite3 "$DB" VACUUM]`}
	f.Why = ""
	if f != want {
		t.Errorf("finding = %#v\nwant      %#v", f, want)
	}
	if w := "in code run by bash -c, then eval: in function probe, called at boot"; !strings.HasPrefix(got[0].Why, w) {
		t.Errorf("Why = %q, want it to start %q", got[0].Why, w)
	}
}

// TestWrappers covers commands that run the command after them, in front
// of tools, functions, indirect calls and code strings.
func TestWrappers(t *testing.T) {
	const check = "check() { sqlite3 \"$DB\" VACUUM; }\nfn=check\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"exec of an indirect call", check + `exec "$fn"`, []string{"vacuum@1 in check"}},
		{"timeout of an indirect call", check + `timeout 5 $fn`, []string{"vacuum@1 in check"}},
		{"timeout with a separate signal option", check + `timeout --signal KILL -k 5 30 "${fn}" "$DB"`, []string{"vacuum@1 in check"}},
		{"nice and ionice nested", check + `nice -n 10 ionice -c3 $fn`, []string{"vacuum@1 in check"}},
		{"nice with an attached and a numeric option", check + `nice -n10 nice -5 "$fn"`, []string{"vacuum@1 in check"}},
		{"env with assignments and -u", check + `env -u HOME BOOT=1 PATH="$PATH:/app" "$fn"`, []string{"vacuum@1 in check"}},
		{"gosu skips the user, a variable", check + `gosu "$APP_USER" "$fn"`, []string{"vacuum@1 in check"}},
		{"sudo with bundled options", check + `sudo -Eu app "$fn"`, []string{"vacuum@1 in check"}},
		{"stdbuf and setsid", check + `setsid -w stdbuf -oL $fn`, []string{"vacuum@1 in check"}},
		{"timeout of a function", "check_db() { sqlite3 \"$DB\" 'PRAGMA integrity_check'; }\ntimeout 600 check_db\n", []string{"integrity_check@1 in check_db"}},
		{"exec of a tool through its path variable", "SQLITE=/usr/bin/sqlite3\nexec $SQLITE \"$DB\" 'PRAGMA quick_check'\n", []string{"quick_check@2"}},
		{"busybox sh -c", `busybox sh -c 'sqlite3 /data/app.db VACUUM'`, []string{"vacuum@1"}},
		{"busybox timeout sh -c", `busybox timeout 5 sh -c 'sqlite3 /data/app.db ANALYZE'`, []string{"analyze@1"}},
		{"xargs sh -c", `echo /data/app.db | xargs -I{} -n 1 sh -c 'sqlite3 "$1" REINDEX' _ {}`, []string{"reindex@1"}},
		{"xargs of a tool", `ls /data/*.db | xargs -0 -P 2 sqlite3 -cmd 'PRAGMA quick_check'`, []string{"quick_check@1"}},
		{"find -exec sh -c", `find /data -name '*.db' -exec sh -c 'sqlite3 "$1" "PRAGMA integrity_check"' _ {} \;`, []string{"integrity_check@1"}},
		{"find -execdir of a tool with +", `find /data -type f -name '*.db' -execdir sqlite3 {} VACUUM +`, []string{"vacuum@1"}},
		{"find -exec of a function", "check_db() { sqlite3 \"$DB\" ANALYZE; }\nfind /data -exec check_db {} ';'\n", []string{"analyze@1 in check_db"}},
		{"find -size before -exec is a size gate", `find "$DB" -size -1G -exec sqlite3 {} VACUUM \;`, nil},
		{"find without -exec", `find /data -name '*.db' -print`, nil},
		{"find -exec of something else", `find /data -name '*.tmp' -exec rm -f {} +`, nil},
		{"wrapped indirect call behind a size gate", check + `[ "$db_size" -lt "$threshold" ] && timeout 5 "$fn"`, nil},
		{"wrapped function behind an override", "check() { sqlite3 \"$DB\" VACUUM; }\nif [ \"${BOOT_ENFORCE_VACUUM:-0}\" = 1 ]; then nice check; fi\n", nil},
		{"xargs sh -c guarded inside the string", `echo x | xargs sh -c '[ "${SKIP_BOOT_VACUUM:-0}" = 1 ] || sqlite3 /data/a.db VACUUM'`, nil},
		{"command -v runs nothing", check + `command -v check >/dev/null`, nil},
		{"timeout of a variable never assigned", check + `timeout 5 "$BOOT_HOOK"`, nil},
		{"runuser without -u runs its shell", `runuser -l app -c 'sqlite3 /data/a.db VACUUM'`, []string{"vacuum@1"}},
		{"wrapper with nothing after it", "exec\nenv\ntimeout 5\nnice -n\nsudo -u\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkScript(t, tt.src, tt.want, "") })
	}
}
