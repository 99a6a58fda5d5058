package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkScript compares a boot script without code strings (the
// baseline) with one that runs code through eval, trap, sh -c and indirect
// calls, with variables whose values are code that refers to itself, and
// with SQL spelled through variables built from each other.
func BenchmarkScript(b *testing.B) {
	plain, err := os.ReadFile(filepath.Join("testdata", "entrypoint-prefix.sh"))
	if err != nil {
		b.Fatal(err)
	}
	code := string(plain) + `
check() { sqlite3 "$DB_PATH" 'PRAGMA quick_check'; }
trap 'rm -f "$DB_PATH.partial"' EXIT
trap check ERR
fn=check
"$fn"
eval "sqlite3 \"$DB_PATH\" 'PRAGMA integrity_check'"
gosu app bash -ec 'eval "sqlite3 $DB_PATH ANALYZE"'
`
	var selfref strings.Builder
	for i := range 200 {
		fmt.Fprintf(&selfref, "cmd='$cmd $cmd eval \"$cmd\" %d'\n", i)
	}
	selfref.WriteString("$cmd\neval \"$cmd\"\n")
	// Variables built from each other, expanded into the SQL of every
	// sqlite3 call: the expansion budgets bound the work.
	var expand strings.Builder
	for range 64 {
		expand.WriteString("a=\"$a$b$c$d\"\nb=\"$a$b\"\nc=$d$c\nd=x$a\n")
	}
	for range 2000 {
		expand.WriteString("sqlite3 db \"$a$b$c$d\" <<< \"$a$b\"\n")
	}
	for _, bb := range []struct{ name, src string }{
		{"plain", string(plain)},
		{"code-strings", code},
		{"self-referencing", selfref.String()},
		{"expanded-variables", expand.String()},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.src)))
			for b.Loop() {
				if _, err := Script("entrypoint.sh", strings.NewReader(bb.src)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFiles compares Files on a boot script that sources nothing (the
// baseline) with the same script sourcing three libraries by an image
// path, $(dirname "$0") and SCRIPT_DIR, and one file that is not there.
func BenchmarkFiles(b *testing.B) {
	plain, err := os.ReadFile(filepath.Join("testdata", "entrypoint-prefix.sh"))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	sourcing := `SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. /app/scripts/db.sh
source "$(dirname "$0")/scripts/log.sh"
. "$SCRIPT_DIR/scripts/env.sh"
. /app/scripts/missing.sh
check_db
` + string(plain)
	writeTree(b, dir, map[string]string{
		"fly.toml": "", "plain.sh": string(plain), "entrypoint.sh": sourcing,
		"scripts/db.sh":  checkDBLib,
		"scripts/log.sh": "log() { printf '%s\\n' \"$*\" >&2; }\n",
		"scripts/env.sh": "DB_PATH=${DB_PATH:-/data/app.db}\n. \"${BASH_SOURCE%/*}/log.sh\"\n",
	})
	for _, name := range []string{"plain.sh", "entrypoint.sh"} {
		b.Run(name, func(b *testing.B) {
			p := filepath.Join(dir, name)
			for b.Loop() {
				if _, err := Files([]string{p}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
