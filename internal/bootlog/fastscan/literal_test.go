package fastscan

import "testing"

func TestRequiredLiteral(t *testing.T) {
	tests := []struct {
		expr string
		want Literal
		ok   bool
	}{
		{`running integrity_check on (?P<db>[^\s]+?)(?:\s|\.\.\.|$)`, Literal{s: "running integrity_check on "}, true},
		{`^\s*ok\s*$`, Literal{s: "ok"}, true},
		{`(?i)integrity_check(?: result)?:? (?:ok|passed|failed)`, Literal{s: "integrity_chec", fold: true}, true},
		{`(?i)(?:computing|running) sha256 (?:of|on) (?P<db>x)`, Literal{s: "ha256 o", fold: true}, true},
		{`(?i)size-based vacuum skip`, Literal{s: "ed vacuum ", fold: true}, true},
		{`(?i)café`, Literal{s: "caf", fold: true}, true},
		{`a(bcd)+e`, Literal{s: "bcd"}, true},
		{`foo|bar`, Literal{}, false},
		{`.*`, Literal{}, false},
		{`x?`, Literal{}, false},
		{`(`, Literal{}, false},
	}
	for _, tt := range tests {
		got, ok := RequiredLiteral(tt.expr)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RequiredLiteral(%q) = %+v, %v; want %+v, %v", tt.expr, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIndexFold(t *testing.T) {
	tests := []struct {
		s, needle string
		want      int
	}{
		{"Running VACUUM on", "vacuum ", 8},
		{"xx_CHECK", "_chec", 2},
		{"SHA256 ok", "ha256 ", 1},
		{"ha25", "ha256", -1},
		{"", "a", -1},
		{"abc", "", 0},
		{"size-BASED", "ize-ba", 1},
		{"ize-ba", "ize-ba", 0},
		{"x_chex_chec", "_chec", 6},
	}
	for _, tt := range tests {
		if got := indexFold(tt.s, tt.needle); got != tt.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", tt.s, tt.needle, got, tt.want)
		}
	}
}
