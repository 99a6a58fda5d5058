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
// calls, and with variables whose values are code that refers to itself.
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
	for _, bb := range []struct{ name, src string }{
		{"plain", string(plain)},
		{"code-strings", code},
		{"self-referencing", selfref.String()},
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
