package audit

import (
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// TestResolvedVariables covers ops spelled through variables the script
// assigns: each is judged as if its value stood in place.
func TestResolvedVariables(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"SQL in a variable", `Q="PRAGMA integrity_check"; sqlite3 db "$Q"`, []string{"integrity_check@1"}},
		{"SQL in a variable assigned lines earlier",
			"Q='PRAGMA quick_check'\nDB=/data/app.db\nsqlite3 \"$DB\" \"$Q\"\n", []string{"quick_check@3"}},
		{"SQL in braces", `SQL=VACUUM; sqlite3 "$DB" "${SQL}"`, []string{"vacuum@1"}},
		{"SQL built from two variables",
			"P=PRAGMA\nC=integrity_check\nQ=\"$P $C\"\nsqlite3 \"$DB\" \"$Q;\"\n", []string{"integrity_check@4"}},
		{"part of the SQL in a variable", `CHECK=quick_check; sqlite3 "$DB" "PRAGMA $CHECK"`, []string{"quick_check@1"}},
		{"one of several values", "Q='SELECT 1'\n[ -n \"$DEEP\" ] && Q='PRAGMA integrity_check'\nsqlite3 \"$DB\" \"$Q\"\n", []string{"integrity_check@3"}},
		{"variable through another", "A='REINDEX'\nB=$A\nsqlite3 \"$DB\" \"$B\"\n", []string{"reindex@3"}},
		{"variable with a default", `sqlite3 "$DB" "${Q:-ANALYZE}"`, []string{"analyze@1"}},
		{"local in a function", "check() {\n  local q='PRAGMA integrity_check'\n  sqlite3 \"$DB\" \"$q\"\n}\ncheck\n", []string{"integrity_check@3 in check"}},
		{"-cmd from a variable", `C='PRAGMA quick_check'; sqlite3 -cmd "$C" "$DB" .quit`, []string{"quick_check@1"}},
		{"here-string from a variable", `Q=VACUUM; sqlite3 "$DB" <<< "$Q"`, []string{"vacuum@1"}},
		{"here-doc expanding a variable", "Q='PRAGMA integrity_check'\nsqlite3 \"$DB\" <<EOF\n$Q;\nEOF\n", []string{"integrity_check@2"}},
		{"echo of a variable piped in", `Q='ANALYZE;'; echo "$Q" | sqlite3 "$DB"`, []string{"analyze@1"}},
		{"hash of a DB path in a plain variable", `F=/data/app.sqlite; sha256sum "$F"`, []string{"sha256@1"}},
		{"cat of a DB path in a plain variable", `F=/data/app.db; cat "$F" | sha256sum`, []string{"sha256@1"}},
		{"python program in a variable", `PY="import sqlite3; sqlite3.connect('/data/a.db').execute('VACUUM')"; python3 -c "$PY"`, []string{"vacuum@1"}},
		{"SQL in a variable behind a size gate",
			"Q='PRAGMA integrity_check'\nif [ \"$(stat -c %s \"$DB\")\" -lt 1000000000 ]; then sqlite3 \"$DB\" \"$Q\"; fi\n", nil},
		{"the variable holds harmless SQL", `Q="SELECT count(*) FROM meta"; sqlite3 "$DB" "$Q"`, nil},
		{"the variable is the DB, not the SQL", `Q="PRAGMA integrity_check"; sqlite3 "$Q"`, nil},
		{"the variable is only logged", `Q="PRAGMA integrity_check"; echo "skipping $Q"; sqlite3 "$DB" 'SELECT 1'`, nil},
		{"a variable the script never assigns", `sqlite3 "$DB" "$BOOT_SQL"`, nil},
		{"a variable assigned from a command", `Q=$(cat /app/boot.sql); sqlite3 "$DB" "$Q"`, nil},
		{"self-referencing variables end", "Q=\"$Q $Q\"\nR=\"$Q$R\"\nsqlite3 \"$DB\" \"$R\"\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkScript(t, tt.src, tt.want, "") })
	}
}

// FuzzResolvedVariable checks that an op's SQL held in a variable is
// found exactly as the same SQL written in place, whatever the SQL.
func FuzzResolvedVariable(f *testing.F) {
	for _, sql := range []string{"PRAGMA integrity_check", "VACUUM; ANALYZE", "SELECT 1", "-- VACUUM\nSELECT 2",
		"PRAGMA main.quick_check(10)", "REINDEX idx", ".sha3sum", "it's $HOME", `"quoted" \ back`} {
		f.Add(sql)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if strings.ContainsRune(sql, 0) {
			return
		}
		quoted, err := syntax.Quote(sql, syntax.LangBash)
		if err != nil {
			return // not expressible as one shell word
		}
		inPlace := opsOf(t, `sqlite3 "$DB" `+quoted+"\n")
		viaVar := opsOf(t, "Q="+quoted+"\nsqlite3 \"$DB\" \"$Q\"\n")
		if inPlace != viaVar {
			t.Fatalf("SQL %q: in place %q, through a variable %q", sql, inPlace, viaVar)
		}
	})
}

// opsOf is the ops found in src, in order, without positions.
func opsOf(t *testing.T, src string) string {
	t.Helper()
	got, err := Script("entrypoint.sh", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Script(%q): %v", src, err)
	}
	var ops []string
	for _, f := range got {
		ops = append(ops, f.Op)
	}
	return strings.Join(ops, ",")
}
