package bootlog

import (
	"reflect"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/runbook"
)

// A bare "ok" completes the op whatever colour codes, spaces and line ends
// surround it, and only when nothing else follows it; Scan, which looks for
// it at line ends only, must agree with Read+Feed on every form.
func TestScanFindsOKAtLineEnds(t *testing.T) {
	start := L(0, m1, "running integrity_check on /data/a.db")
	pre := strings.TrimSuffix(L(1, m1, ""), "\n")
	tests := []struct {
		name, line string
		done       bool
	}{
		{"plain", pre + "ok\n", true},
		{"spaces and CR", pre + "  ok \t\r\n", true},
		{"coloured", pre + "\x1b[32mok\x1b[0m\n", true},
		{"colour then space", pre + "ok\x1b[0m \x1b[0m\r\n", true},
		{"no newline at the end", pre + "ok", true},
		{"moved to the front", `error.message="ok" ` + pre + "\n", true},
		{"coloured front", "\x1b[2merror.message=\"ok\" " + pre + "\n", true},
		{"coloured key, as flyctl writes it", "\x1b[2merror.message=\x1b[0m\"ok\" " + pre + "\n", true},
		{"quotes in the moved message", `error.message="x "ok" ok" ` + pre + "\n", false},
		{"empty region", strings.Replace(pre, " nrt ", "  ", 1) + "ok\n", true},
		{"unparsed: no machine, completes nothing", "ok\n", false},
		{"more after", pre + "ok computer\n", false},
		{"word ending in ok", pre + "look\n", false},
		{"broken colour", pre + "ok\x1b[0\n", false},
	}
	rb := runbook.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := start + tt.line
			slow, fast := New(rb), New(rb)
			Read(strings.NewReader(log), func(e Entry) error { slow.Feed(e); return nil })
			if _, err := fast.Scan(strings.NewReader(log)); err != nil {
				t.Fatal(err)
			}
			a, b := slow.Findings(at(60)), fast.Findings(at(60))
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("Scan and Read+Feed disagree:\nScan: %+v\nRead: %+v", b, a)
			}
			if done := len(b) == 1 && b[0].Status == Completed; done != tt.done {
				t.Errorf("completed = %v, want %v: %+v", done, tt.done, b)
			}
		})
	}
}
