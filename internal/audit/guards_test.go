package audit

import (
	"fmt"
	"testing"
)

// TestSizeGates covers which size comparisons guard an op: only one that
// bounds the database's size from above where the op runs, against a
// threshold that can skip a large database.
func TestSizeGates(t *testing.T) {
	const op = `sqlite3 "$DB" 'PRAGMA integrity_check'`
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"greater than zero runs for every database", `if [ "$(stat -c %s db)" -gt 0 ]; then ` + op + "; fi", []string{"integrity_check@1"}},
		{"greater than zero, else branch: only an empty database", `if [ "$(stat -c %s db)" -gt 0 ]; then :; else ` + op + "; fi", nil},
		{"non-empty check before the op", `[ -s db ] && [ "$(stat -c %s db)" -ge 1 ] && ` + op, []string{"integrity_check@1"}},
		{"less than a threshold", `if [ "$(stat -c %s db)" -lt 5000000000 ]; then ` + op + "; fi", nil},
		{"greater than a threshold runs only on large databases",
			"size=$(stat -c %s \"$DB\")\nif [ \"$size\" -gt \"$MAX_BOOT_CHECK_BYTES\" ]; then\n  " + op + "\nfi\n", []string{"integrity_check@3"}},
		{"greater than a threshold, else branch", "size=$(stat -c %s \"$DB\")\nif [ \"$size\" -gt \"$MAX_BOOT_CHECK_BYTES\" ]; then\n  echo skip\nelse\n  " + op + "\nfi\n", nil},
		{"threshold on the left", `if [ 5000000000 -gt "$(wc -c < "$DB")" ]; then ` + op + "; fi", nil},
		{"threshold on the left, wrong way", `if [ 5000000000 -lt "$(wc -c < "$DB")" ]; then ` + op + "; fi", []string{"integrity_check@1"}},
		{"negated with !", `if ! [ "$(stat -c %s db)" -gt 5000000000 ]; then ` + op + "; fi", nil},
		{"negated inside [", `if [ ! "$(stat -c %s db)" -lt 5000000000 ]; then ` + op + "; fi", []string{"integrity_check@1"}},
		{"[[ ]] greater than zero", `[[ $(stat -c %s "$DB") -gt 0 ]] && ` + op, []string{"integrity_check@1"}},
		{"(( )) greater than zero", "db_bytes=$(stat -c %s \"$DB\")\n(( db_bytes > 0 )) && " + op + "\n", []string{"integrity_check@2"}},
		{"(( )) below a limit", "db_bytes=$(stat -c %s \"$DB\")\n(( db_bytes < limit )) && " + op + "\n", nil},
		{"early return when large", "check() {\n  [ \"$(stat -c %s \"$DB\")\" -gt \"$THRESHOLD\" ] && return 0\n  " + op + "\n}\ncheck\n", nil},
		{"early return when empty is no gate", "check() {\n  [ \"$(stat -c %s \"$DB\")\" -gt 0 ] || return 0\n  " + op + "\n}\ncheck\n", []string{"integrity_check@3 in check"}},
		{"early exit when large, with if", "if [ \"$(du -b \"$DB\" | cut -f1)\" -ge 1000000000 ]; then\n  exec \"$@\"\nfi\n" + op + "\n", nil},
		{"a size variable named by what assigns it", "n=$(stat -c %s \"$DB\")\nif [ \"$n\" -lt \"$((5 * 1024 * 1024 * 1024))\" ]; then " + op + "; fi\n", nil},
		{"a threshold variable assigned a constant", "n=$(stat -c %s \"$DB\")\nm=$((5 << 30))\nif [ \"$n\" -lt \"$m\" ]; then " + op + "; fi\n", nil},
		{"a threshold too large to skip any database", `if [ "$(stat -c %s db)" -lt 99000000000000000 ]; then ` + op + "; fi", []string{"integrity_check@1"}},
		{"two sizes compared", `if [ "$(stat -c %s db)" -lt "$(stat -c %s db.bak)" ]; then ` + op + "; fi", []string{"integrity_check@1"}},
		{"a retry count is not a size", `if [ "$attempt" -lt 3 ]; then ` + op + "; fi", []string{"integrity_check@1"}},
		{"both tests must bound with -o", `if [ "$(stat -c %s db)" -lt 5000000000 -o -n "$X" ]; then ` + op + "; fi", []string{"integrity_check@1"}},
		{"either test bounds with -a", `if [ -n "$X" -a "$(stat -c %s db)" -lt 5000000000 ]; then ` + op + "; fi", nil},
		{"either test bounds with &&", `if [ -f db ] && [ "$(stat -c %s db)" -lt 5000000000 ]; then ` + op + "; fi", nil},
		{"|| with a non-size test does not bound", `if [ -f db.new ] || [ "$(stat -c %s db)" -lt 5000000000 ]; then ` + op + "; fi", []string{"integrity_check@1"}},
		{"override still guards both ways", `if [ "${BOOT_SKIP_INTEGRITY_CHECK:-0}" != 1 ]; then ` + op + "; fi", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkScript(t, tt.src, tt.want, "") })
	}
}

// FuzzSizeGate checks the gate rule on every threshold and form: an op
// behind a comparison is guarded exactly when the branch it runs in bounds
// the measured size by a threshold that can skip a database.
func FuzzSizeGate(f *testing.F) {
	f.Add(uint64(0), uint8(0), uint8(0))
	f.Add(uint64(5_000_000_000), uint8(2), uint8(1))
	f.Add(uint64(1<<50+1), uint8(3), uint8(5))
	f.Add(uint64(1), uint8(1), uint8(6))
	ops := []struct {
		test, arith string
		less        bool
	}{{"-lt", "<", true}, {"-le", "<=", true}, {"-gt", ">", false}, {"-ge", ">=", false}}
	forms := []string{
		`if [ "$(stat -c %%s "$DB")" %[1]s %[3]d ]; then %[4]s; fi`,
		`if [ "$(stat -c %%s "$DB")" %[1]s %[3]d ]; then :; else %[4]s; fi`,
		`[[ $(wc -c < "$DB") %[1]s %[3]d ]] && %[4]s`,
		`[[ $(wc -c < "$DB") %[1]s %[3]d ]] || %[4]s`,
		"db_size=$(stat -c %%s \"$DB\")\n(( db_size %[2]s %[3]d )) && %[4]s",
		"limit=%[3]d\nif ! [ \"$(stat -c %%s \"$DB\")\" %[1]s \"$limit\" ]; then %[4]s; fi",
		"check() {\n[ \"$(stat -c %%s \"$DB\")\" %[1]s %[3]d ] || return 0\n%[4]s\n}\ncheck",
	}
	// Whether the op runs where the comparison holds (true) or fails.
	runsWhenTrue := []bool{true, false, true, false, true, false, true}
	f.Fuzz(func(t *testing.T, threshold uint64, opIdx, formIdx uint8) {
		o := ops[int(opIdx)%len(ops)]
		k := int(formIdx) % len(forms)
		src := fmt.Sprintf(forms[k], o.test, o.arith, threshold, `sqlite3 "$DB" 'PRAGMA integrity_check'`)
		bounded := o.less == runsWhenTrue[k] // size < T where the op runs
		guarded := bounded && threshold <= maxThreshold
		got := opsOf(t, src)
		if want := map[bool]string{true: "", false: OpIntegrityCheck}[guarded]; got != want {
			t.Fatalf("%s\nfound [%s], want [%s]", src, got, want)
		}
	})
}

func TestGateAlgebra(t *testing.T) {
	all := []gate{{}, {ifTrue: true}, {ifFalse: true}, bothWays}
	for _, g := range all {
		if g.not().not() != g {
			t.Errorf("%+v: not of not = %+v", g, g.not().not())
		}
		if got := g.and(gate{}); got.ifTrue != g.ifTrue {
			t.Errorf("%+v and nothing = %+v: holding x && y bounds as x does", g, got)
		}
		if got := g.or(gate{}); got.ifFalse != g.ifFalse {
			t.Errorf("%+v or nothing = %+v: failing x || y bounds as x does", g, got)
		}
	}
}
