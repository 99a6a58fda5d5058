package redact

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// encoders are the ways a tool prints text jpops passes on: as it is,
// URL-encoded (query and path style, lower-case hex too), JSON-escaped (as
// Go writes it, and with an escaped slash as other tools do), and split or
// wrapped by terminal colour codes.
var encoders = []struct {
	name string
	enc  func(string) string
}{
	{"plain", func(s string) string { return s }},
	{"query-escaped", url.QueryEscape},
	{"path-escaped", url.PathEscape},
	{"lower-hex", func(s string) string { return lowerHex(url.PathEscape(s)) }},
	{"json", jsonEscape},
	{"json-slash", func(s string) string { return strings.ReplaceAll(jsonEscape(s), "/", `\/`) }},
	{"ansi-wrapped", func(s string) string { return "\x1b[1;31m" + s + "\x1b[0m" }},
	{"ansi-split", func(s string) string { return ansiSplit(s, len(s)/2) }},
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// ansiSplit cuts s at byte i (moved to a rune start) with colour codes.
func ansiSplit(s string, i int) string {
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "\x1b[32m\x1b[0m" + s[i:]
}

// survivors returns the forms of secret that out still shows, raw or as a
// terminal renders it.
func survivors(out, secret string) []string {
	var found []string
	for _, view := range []string{out, ansi.Strip(out)} {
		view = strings.ReplaceAll(view, Mask, "\x00")
		for _, form := range Encodings(secret) {
			if len(form) >= minSecretLen && strings.Contains(view, form) {
				found = append(found, form)
			}
		}
	}
	return found
}

// secretSources are the secrets jpops knows, each registered the way its
// source is: the environment, a token given by -t or read from
// ~/.fly/config.yml (registered by the token resolver), URL credentials and
// notifier URLs (registered when parsed), and Fly token shapes nobody
// registered at all.
var secretSources = []struct {
	name     string
	environ  []string // for SecretsFromEnv
	register []string // as the token resolver does
	urls     []string // as the notifier parser does
	smoke    []string // as the smoke URL check does
	needles  []string // what must not survive
	context  string   // a line it is printed in: %s is the secret
}{
	{name: "FLY_API_TOKEN", environ: []string{"FLY_API_TOKEN=FlyV1 fm2_lJPECAAAAAAAAMqkxBDwA1eak/QZr+7Ue==,fm2_lJPEQkZyBravo7Hq3Wm0Pv2Lk+NcD/p0="},
		needles: []string{"fm2_lJPECAAAAAAAAMqkxBDwA1eak/QZr+7Ue==", "fm2_lJPEQkZyBravo7Hq3Wm0Pv2Lk+NcD/p0="}, context: "Authorization: FlyV1 %s"},
	{name: "FLY_ACCESS_TOKEN", environ: []string{"FLY_ACCESS_TOKEN=fo1_CharlieUserToken9vTzR4kPq1Xw8Ys"},
		needles: []string{"fo1_CharlieUserToken9vTzR4kPq1Xw8Ys"}, context: "token=%s"},
	{name: "-t token without a Fly prefix", register: []string{"opaqueDeltaToken/3Jx7Kd9+Lm2Qp5Rt=="},
		needles: []string{"opaqueDeltaToken/3Jx7Kd9+Lm2Qp5Rt=="}, context: "flyctl: using token %s for the deploy"},
	{name: "config.yml token with a scheme", register: []string{"Bearer opaqueEchoConfigToken6Nv1Bc8Hf4"},
		needles: []string{"opaqueEchoConfigToken6Nv1Bc8Hf4"}, context: `{"access_token":"%s"}`},
	{name: "secret env value", environ: []string{"DATABASE_PASSWORD=correct-horse \"battery\" <staple> 93fA"},
		needles: []string{"correct-horse \"battery\" <staple> 93fA"}, context: "dsn=postgres://app@db/x?password=%s"},
	{name: "smoke URL userinfo", smoke: []string{"https://smoke-user:Sm0keP%40ss-Foxtrot@autonomath-api.fly.dev/healthz"},
		needles: []string{"Sm0keP@ss-Foxtrot", "smoke-user:Sm0keP%40ss-Foxtrot"}, context: "GET %s failed"},
	{name: "smoke URL userinfo nobody registered", needles: []string{"ghost-user:GhostPassGolf42"},
		context: "GET https://%s@autonomath-api.fly.dev/ failed"},
	{name: "Slack webhook path", urls: []string{"https://hooks.slack.com/services/T0HOTEL01/B0HOTEL02/HotelSlackSecretXXXXXXXXX"},
		needles: []string{"services/T0HOTEL01/B0HOTEL02/HotelSlackSecretXXXXXXXXX", "HotelSlackSecretXXXXXXXXX"}, context: `invalid_token: no service for path /%s`},
	{name: "webhook query key", urls: []string{"https://alerts.example.com/hook?key=IndiaWebhookKey0f9e8d7c"},
		needles: []string{"IndiaWebhookKey0f9e8d7c"}, context: `{"error":"bad key %s"}`},
	{name: "Telegram bot token in the API path", urls: []string{"https://api.telegram.org/bot123456789:AAEJulietTelegramBot2mN4bV6cX8z/sendMessage"},
		needles: []string{"123456789:AAEJulietTelegramBot2mN4bV6cX8z"}, context: "telegram: 401 for bot%s"},
	{name: "Fly macaroon nobody registered", needles: []string{"fm2_lJPEKiloUnregistered+Mac/aroon=="}, context: "echo: %s"},
	{name: "FlyV1 list nobody registered", needles: []string{"fm1r_LimaReadOnly3Jx7Kd9Lm2Qp5Rt", "fm1a_MikeAppScoped6Nv1Bc8Hf4Gz0Wy"},
		context: "header FlyV1 %s"},
}

// The redaction proof: every secret source, printed in every encoding, is
// masked by the one process-wide redactor every output path uses.
func TestEverySecretSourceInEveryEncoding(t *testing.T) {
	saved := Default
	t.Cleanup(func() { Default = saved })
	for _, src := range secretSources {
		t.Run(src.name, func(t *testing.T) {
			Default = New(SecretsFromEnv(src.environ)...)
			Register(src.register...)
			for _, u := range src.urls {
				RegisterSecretURL(u)
			}
			for _, u := range src.smoke {
				RegisterURLCredentials(u)
			}
			secret := strings.Join(src.needles, ",")
			line := strings.Replace(src.context, "%s", secret, 1)
			for _, e := range encoders {
				out := String(e.enc(line))
				for _, n := range src.needles {
					if l := survivors(out, n); len(l) > 0 {
						t.Errorf("%s: %q survives in %q", e.name, l, out)
					}
				}
				if !strings.Contains(ansi.Strip(out), Mask) {
					t.Errorf("%s: nothing masked in %q", e.name, out)
				}
			}
		})
	}
}

// Redaction keeps what is not secret: an operator must still read the line.
func TestRedactionKeepsTheRest(t *testing.T) {
	r := New("opaqueDeltaToken/3Jx7Kd9+Lm2Qp5Rt==")
	for in, want := range map[string]string{
		"GET https://u:p4ss@example.com/x failed":                                     "GET https://" + Mask + "@example.com/x failed",
		"flyctl: token opaqueDeltaToken%2F3Jx7Kd9%2BLm2Qp5Rt%3D%3D rejected":          "flyctl: token " + Mask + " rejected",
		"\x1b[31merror:\x1b[0m opaque\x1b[1mDeltaToken/3Jx7Kd9+Lm2Qp5Rt==\x1b[0m bad": "error: " + Mask + " bad",
		"\x1b[31mplain coloured line\x1b[0m":                                          "\x1b[31mplain coloured line\x1b[0m",
		"mail ops@example.com, see https://fly.io/docs":                               "mail ops@example.com, see https://fly.io/docs",
		"Authorization: FlyV1%20fm2_abc%2Fdef%3D%3D next":                             "Authorization: " + Mask + " next",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

// secretAlphabet is what a token, password or URL key is made of here;
// brackets are left out so a secret cannot be spelt by the mask itself.
const secretAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/=.:~!@#$%^&*()\"'<>?, "

func usableSecret(s string) bool {
	if len(strings.TrimSpace(s)) < minSecretLen+2 || len(s) > 256 || strings.TrimSpace(s) != s {
		return false
	}
	for _, c := range []byte(s) {
		if strings.IndexByte(secretAlphabet, c) < 0 {
			return false
		}
	}
	return true
}

// FuzzPlantedSecretNeverSurvives plants a registered secret in any text, in
// any encoding a tool prints it, and checks that no form of it survives.
func FuzzPlantedSecretNeverSurvives(f *testing.F) {
	f.Add("opaqueDeltaToken/3Jx7Kd9+Lm2Qp5Rt==", "token ", " rejected", uint8(0), uint8(4))
	f.Add("correct-horse \"battery\" <staple>", "{\"pw\":\"", "\"}", uint8(4), uint8(0))
	f.Add("FlyV1 fm2_abc/def,fm2_ghi+jkl=", "Authorization: ", "", uint8(1), uint8(9))
	f.Add("user:p@ss/w0rd", "\x1b[31m", "\x1b[0m", uint8(7), uint8(3))
	f.Fuzz(func(t *testing.T, secret, before, after string, enc, cut uint8) {
		// Text around the secret is valid UTF-8, as tools print: a stray byte
		// such as 0x9d would read as a C1 control and hide what follows.
		if !usableSecret(secret) || !utf8.ValidString(before+after) || strings.ContainsAny(before+after, "\x1b") && enc < 6 {
			t.Skip()
		}
		r := New(secret)
		e := encoders[int(enc)%len(encoders)]
		planted := e.enc(secret)
		if e.name == "ansi-split" {
			planted = ansiSplit(secret, int(cut)%len(secret))
		}
		out := r.String(before + planted + after)
		for _, form := range Encodings(secret) {
			if l := survivors(out, form); len(l) > 0 {
				t.Fatalf("%s: %q survives in %q", e.name, l, out)
			}
		}
	})
}

// FuzzUnregisteredFlyTokenNeverSurvives plants a Fly token nobody
// registered, in any encoding, between any texts, and checks its body is
// masked by shape alone.
func FuzzUnregisteredFlyTokenNeverSurvives(f *testing.F) {
	f.Add("fm2_", "lJPECAAAAAAAAMqkxBDwA1eak/QZr+7Ue==", "Authorization: FlyV1", "", uint8(1))
	f.Add("fo1_", "CharlieUserToken9vTzR4kPq1Xw8Ys", "{\"t\":", "}", uint8(4))
	f.Add("fm1r_", "LimaReadOnly3Jx7Kd9", "", "", uint8(7))
	f.Fuzz(func(t *testing.T, prefix, body, before, after string, enc uint8) {
		switch prefix {
		case "fm2_", "fm1r_", "fm1a_", "fo1_", "FlyV1 ", "Bearer ":
		default:
			t.Skip()
		}
		if !utf8.ValidString(before+after) || len(body) < 8 || len(body) > 256 || strings.Trim(body, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/=") != "" {
			t.Skip()
		}
		e := encoders[int(enc)%len(encoders)]
		around := e.enc(before + "  " + after)
		for _, form := range Encodings(body) {
			if strings.Contains(around, form) || strings.Contains(ansi.Strip(around), form) || strings.Contains(bareText(strings.ToValidUTF8(around, "")), form) {
				t.Skip() // the text around the token spells it too
			}
		}
		out := New().String(e.enc(before + " " + prefix + body + " " + after))
		for _, form := range Encodings(body) {
			if l := survivors(out, form); len(l) > 0 {
				t.Fatalf("%s: %q survives in %q", e.name, l, out)
			}
		}
	})
}
