package redact

import (
	"strings"
	"testing"
)

// Token shapes from docs/fly-platform.md, "Tokens"; none may survive redaction.
var tokenCorpus = []string{
	"FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2FrZXMgYXJlIHRhc3R5IQ==,fm2_lJPEBJ3a",
	"fm1r_aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRva2Vu",
	"fm1a_c2VjcmV0LW1hY2Fyb29uLWJvZHk",
	"fm2_lJPETQAAAAAAAA9nxBBvAdTWcc1nB6PC",
	"fo1_8xKq0mYbZr2c6tLh3vFnPq9W",
	"Bearer fo1_abcdefghijklmnop",
	"bearer FlyV1 fm2_xyzxyzxyzxyz",
}

func TestTokensAreMasked(t *testing.T) {
	for _, tok := range tokenCorpus {
		for _, line := range []string{
			tok,
			"Authorization: " + tok,
			"export FLY_API_TOKEN=\"" + tok + "\"",
			"error: token " + tok + " rejected",
		} {
			got := String(line)
			if strings.Contains(got, "fm2_l") || strings.Contains(got, "fo1_") || strings.Contains(got, "fm1") {
				t.Errorf("String(%q) = %q: token survived", line, got)
			}
			if !strings.Contains(got, Mask) {
				t.Errorf("String(%q) = %q: no mask", line, got)
			}
		}
	}
}

func TestPlainTextUntouched(t *testing.T) {
	for _, s := range []string{
		"running integrity_check on /data/autonomath.db",
		"image: registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0",
		"✔ [1/2] Machine 85e273f4a1b2c3 is now in a good state",
		"size-based integrity_check skip for /data/autonomath.db (size=9722236928 >= threshold=5000000000)",
		"",
	} {
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q, want unchanged", s, got)
		}
	}
}

func TestSecretValues(t *testing.T) {
	env := []string{"DATABASE_PASSWORD=hunter2hunter2", "TELEGRAM_BOT_TOKEN=123456:ABCdefGHI", "HOME=/root", "SHORT_SECRET=abc", "FLY_API_TOKEN=FlyV1 opaqueValue123"}
	r := New(SecretsFromEnv(env)...)
	for _, tt := range []struct{ in, want string }{
		{"connecting with hunter2hunter2 now", "connecting with " + Mask + " now"},
		{"bot 123456:ABCdefGHI says hi", "bot " + Mask + " says hi"},
		{"home is /root", "home is /root"},
		{"abc stays", "abc stays"},
		{"raw opaqueValue123 leaked", "raw " + Mask + " leaked"},
	} {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range tokenCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := New("secretvalue42")
		out := r.String("x " + s + " fm2_SECRETSECRET secretvalue42")
		if strings.Contains(out, "fm2_SECRETSECRET") || strings.Contains(out, "secretvalue42") {
			t.Fatalf("secret survived in %q", out)
		}
	})
}

func BenchmarkStringPlain(b *testing.B) {
	line := "#11 [stage-1 4/7] RUN pip install --no-cache-dir -r requirements.txt 0.4s done"
	for b.Loop() {
		_ = String(line)
	}
}

func BenchmarkStringToken(b *testing.B) {
	line := "export FLY_API_TOKEN=FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2FrZXMgYXJlIHRhc3R5IQ=="
	for b.Loop() {
		_ = String(line)
	}
}

func TestWithMasksBothSetsAndLeavesTheBaseAlone(t *testing.T) {
	base := New("base-secret-value", "extra-secret-and-more")
	r := base.With("extra-secret", "base-secret-value-and-more")
	tests := []struct{ in, want string }{
		{"a base-secret-value b", "a " + Mask + " b"},
		{"a extra-secret b", "a " + Mask + " b"},
		// A secret of one set contains one of the other: masked whole
		// either way round, leaving no tail of it in clear.
		{"x base-secret-value-and-more y", "x " + Mask + " y"},
		{"x extra-secret-and-more y", "x " + Mask + " y"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("With: String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := base.String("extra-secret"); got != "extra-secret" {
		t.Errorf("With changed its base: it masks %q", got)
	}
	var none *Redactor
	if got := none.With("extra-secret").String("extra-secret!"); got != Mask+"!" {
		t.Errorf("nil.With: got %q", got)
	}
}
