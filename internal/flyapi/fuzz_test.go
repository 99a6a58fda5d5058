package flyapi

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// FuzzDecodeMachines: no input panics, and whatever decodes survives a
// marshal/decode round trip unchanged.
func FuzzDecodeMachines(f *testing.F) {
	f.Add([]byte("[" + string(machineFixture(f)) + "]"))
	f.Add([]byte(`[{"id":"x","config":{"services":[{"checks":[{"grace_period":1500.5,"timeout":"2s"}]}]}}]`))
	f.Add([]byte(`[{"id":"x","checks":[{"name":"c","status":"passing","updated_at":"2026-05-11T03:05:38+09:00"}]}]`))
	f.Add([]byte(`[{"id":"x","checks":[{"name":"c","updated_at":""}],"image_ref":{"labels":{}}}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"id":"x","sta`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ms, err := DecodeMachines(body)
		if err != nil {
			return
		}
		b1, err := json.Marshal(ms)
		if err != nil {
			t.Fatalf("decoded machines do not marshal: %v", err)
		}
		ms2, err := DecodeMachines(b1)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b1, err)
		}
		b2, _ := json.Marshal(ms2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("round trip changed the machines:\n%s\n%s", b1, b2)
		}
		for i := range ms {
			ms[i].ChecksPassing()
			ms[i].GracePeriod(0)
			ms[i].LastStart()
			ms[i].MatchesImage(ms[i].ImageRef.Ref())
		}
	})
}

// FuzzDecodeLogs: no input panics, and a decoded page written back in the
// wire shape decodes to the same page.
func FuzzDecodeLogs(f *testing.F) {
	f.Add([]byte(logsBody("1778468727000000000", logLine("a", "2026-05-11T03:05:27.123456789Z", "running integrity_check on /data/autonomath.db"))))
	f.Add([]byte(`{"data":[],"meta":{"next_token":17}}`))
	f.Add([]byte(`{"data":[{"attributes":{"timestamp":"2026-05-11T03:05:27+09:00"}}],"meta":{}}`))
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`{"data":[{"attributes":{"timestamp":"x"`))
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := DecodeLogs(body)
		if err != nil {
			return
		}
		wire := wireLogs(t, page)
		page2, err := DecodeLogs(wire)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", wire, err)
		}
		a, _ := json.Marshal(page)
		b, _ := json.Marshal(page2)
		if !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the page:\n%s\n%s", a, b)
		}
	})
}

// wireLogs writes a page back in the logs API's JSON:API shape.
func wireLogs(t *testing.T, p LogPage) []byte {
	type attrs struct {
		Timestamp string `json:"timestamp"`
		Message   string `json:"message"`
		Level     string `json:"level"`
		Instance  string `json:"instance"`
		Region    string `json:"region"`
		Meta      struct {
			Event struct {
				Provider string `json:"provider"`
			} `json:"event"`
		} `json:"meta"`
	}
	type entry struct {
		ID         string `json:"id"`
		Attributes attrs  `json:"attributes"`
	}
	doc := struct {
		Data []entry `json:"data"`
		Meta struct {
			NextToken string `json:"next_token"`
		} `json:"meta"`
	}{Data: []entry{}}
	doc.Meta.NextToken = p.NextToken
	for _, e := range p.Entries {
		a := attrs{Timestamp: e.Timestamp.Format("2006-01-02T15:04:05.999999999Z07:00"), Message: e.Message, Level: e.Level, Instance: e.Instance, Region: e.Region}
		a.Meta.Event.Provider = e.Provider
		doc.Data = append(doc.Data, entry{ID: e.ID, Attributes: a})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wellFormedRef is a simplified Docker reference grammar.
var wellFormedRef = regexp.MustCompile(`^(?:(?:[a-z0-9-]+\.[a-z0-9.-]+|localhost)(?::[0-9]+)?/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9._-]*)?(?:@sha256:[0-9a-f]+)?$`)

// FuzzParseImageRef: parsing and matching never panic, and a well-formed
// reference always matches the image it names.
func FuzzParseImageRef(f *testing.F) {
	f.Add("registry.fly.io/autonomath-api:deployment-01KR@sha256:de7c")
	f.Add("sha256:de7c")
	f.Add("localhost:5000/a/b:c")
	f.Add("@:/")
	f.Add("0::")
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseImageRef(s)
		r.MatchesImage(r.Ref())
		if wellFormedRef.MatchString(s) && strings.ContainsAny(s, ":/@") && !r.MatchesImage(s) {
			t.Fatalf("%#v does not match %q, the reference it was parsed from", r, s)
		}
	})
}
