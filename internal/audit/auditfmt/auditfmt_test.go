package auditfmt

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/jpops-dev/jpops/internal/audit"
)

// report audits the audit's own boot-script fixtures plus a script with a
// code string, a sourced file that is missing, and a file name that needs
// escaping in a URI and in a workflow command, from inside a temporary
// working directory so that paths come out relative.
func report(t *testing.T) audit.Report {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"postmortem-s4-prefix.sh", "entrypoint-prefix.sh", "postmortem-s4-postfix.sh"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	odd := filepath.Join(dir, "boot scripts", "a,b:100%.sh")
	if err := os.MkdirAll(filepath.Dir(odd), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "check() { sqlite3 \"$DB\" 'VACUUM'; }\nbash -c \"sha256sum /data/app.db\"\n. /app/scripts/gone.sh\nQ='PRAGMA quick_check'\nsqlite3 \"$DB\" \"$Q\"\ncheck\n"
	if err := os.WriteFile(odd, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	r, err := audit.Audit([]string{"postmortem-s4-prefix.sh", "entrypoint-prefix.sh", "postmortem-s4-postfix.sh", filepath.Join("boot scripts", "a,b:100%.sh")})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) < 5 || len(r.Unread) != 1 {
		t.Fatalf("fixture report has %d findings and %d unread, want at least 5 and 1: %+v", len(r.Findings), len(r.Unread), r)
	}
	return r
}

var tool = Tool{Name: "jpops", Version: "1.2.3", InformationURI: "https://github.com/jpops-dev/jpops"}

// TestSARIFSchema checks the output against the SARIF 2.1.0 JSON schema
// and, field by field, against what the spec and code scanning require.
func TestSARIFSchema(t *testing.T) {
	r := report(t)
	var buf bytes.Buffer
	if err := SARIF(&buf, r, tool); err != nil {
		t.Fatal(err)
	}
	parsed, err := sarif.FromBytes(buf.Bytes())
	if err != nil {
		t.Fatalf("not SARIF: %v", err)
	}
	if err := parsed.Validate(); err != nil {
		t.Fatalf("SARIF 2.1.0 schema: %v", err)
	}

	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// sarifLog: version and runs are required (§3.13.2, §3.13.4).
	if doc["version"] != "2.1.0" || doc["$schema"] == "" {
		t.Fatalf("version %v, $schema %v", doc["version"], doc["$schema"])
	}
	runs, _ := doc["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("runs = %v, want one", doc["runs"])
	}
	run := runs[0].(map[string]any)
	// run.tool.driver.name is required (§3.14.6, §3.18.2, §3.19.8).
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "jpops" || driver["version"] != "1.2.3" {
		t.Errorf("driver = %v", driver)
	}
	ruleIDs := map[string]int{}
	for i, rule := range driver["rules"].([]any) {
		rule := rule.(map[string]any)
		id, _ := rule["id"].(string) // reportingDescriptor.id is required (§3.49.3)
		if id == "" || rule["shortDescription"].(map[string]any)["text"] == "" {
			t.Errorf("rule %d incomplete: %v", i, rule)
		}
		ruleIDs[id] = i
	}
	// invocation.executionSuccessful is required (§3.20.14).
	inv := run["invocations"].([]any)[0].(map[string]any)
	if inv["executionSuccessful"] != true {
		t.Errorf("invocation = %v", inv)
	}
	if notes, _ := inv["toolExecutionNotifications"].([]any); len(notes) != len(r.Unread) {
		t.Errorf("%d notifications, want one per unread file (%d)", len(notes), len(r.Unread))
	}
	results := run["results"].([]any)
	if len(results) != len(r.Findings) {
		t.Fatalf("%d results, want %d", len(results), len(r.Findings))
	}
	for i, res := range results {
		res := res.(map[string]any)
		// result.message is required (§3.27.11), with text (§3.11.8).
		if msg, _ := res["message"].(map[string]any)["text"].(string); msg == "" {
			t.Errorf("result %d: no message text", i)
		}
		// ruleId and ruleIndex point at a rule of the driver (§3.27.5, §3.27.6).
		id, _ := res["ruleId"].(string)
		if idx, ok := ruleIDs[id]; !ok || float64(idx) != res["ruleIndex"] {
			t.Errorf("result %d: ruleId %q ruleIndex %v do not name a rule", i, id, res["ruleIndex"])
		}
		loc := res["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		uri, _ := loc["artifactLocation"].(map[string]any)["uri"].(string)
		if u, err := url.Parse(uri); err != nil || u.IsAbs() || uri == "" {
			t.Errorf("result %d: uri %q is not a relative URI reference", i, uri)
		}
		if region := loc["region"].(map[string]any); region["startLine"].(float64) < 1 || region["startColumn"].(float64) < 1 {
			t.Errorf("result %d: region %v", i, region)
		}
	}
}

// TestSARIFRoundTrip reads every finding back out of the SARIF.
func TestSARIFRoundTrip(t *testing.T) {
	r := report(t)
	var buf bytes.Buffer
	if err := SARIF(&buf, r, tool); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	var back []audit.Finding
	for _, res := range log.Runs[0].Results {
		loc := res.Locations[0].PhysicalLocation
		u, err := url.Parse(loc.ArtifactLocation.URI)
		if err != nil {
			t.Fatal(err)
		}
		if res.RuleID != RuleID(res.Properties.Op) {
			t.Errorf("ruleId %q for op %q", res.RuleID, res.Properties.Op)
		}
		back = append(back, audit.Finding{
			File: filepath.FromSlash(u.Path), Line: loc.Region.StartLine, Col: loc.Region.StartColumn,
			Op: res.Properties.Op, Command: res.Properties.Command, Why: res.Properties.Why, InFunction: res.Properties.InFunction,
		})
	}
	if !slices.Equal(back, r.Findings) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, r.Findings)
	}
}

// TestGitHub reads every annotation back: one ::error per finding at its
// file, line and column, and one ::warning per unread file.
func TestGitHub(t *testing.T) {
	r := report(t)
	var buf bytes.Buffer
	if err := GitHub(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(r.Findings)+len(r.Unread) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(r.Findings)+len(r.Unread), buf.String())
	}
	unescape := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace
	for i, line := range lines {
		kind, want := "error", audit.Finding{}
		if i < len(r.Findings) {
			want = r.Findings[i]
		} else {
			kind = "warning"
			u := r.Unread[i-len(r.Findings)]
			want = audit.Finding{File: u.File, Line: u.Line, Why: u.Why, Command: u.Source}
		}
		head, msg, ok := strings.Cut(strings.TrimPrefix(line, "::"+kind+" "), "::")
		if !ok || !strings.HasPrefix(line, "::"+kind+" ") {
			t.Fatalf("line %d %q is not a ::%s workflow command", i, line, kind)
		}
		props := map[string]string{}
		for p := range strings.SplitSeq(head, ",") {
			k, v, _ := strings.Cut(p, "=")
			props[k] = unescape(v)
		}
		if props["file"] != filepath.ToSlash(want.File) || props["line"] != strconv.Itoa(want.Line) {
			t.Errorf("line %d at %s:%s, want %s:%d", i, props["file"], props["line"], want.File, want.Line)
		}
		if kind == "error" && (props["col"] != strconv.Itoa(want.Col) || !strings.Contains(props["title"], want.Op)) {
			t.Errorf("line %d: col %s title %q, want col %d and op %s", i, props["col"], props["title"], want.Col, want.Op)
		}
		if m := unescape(msg); !strings.Contains(m, want.Why) || !strings.Contains(m, want.Command) || strings.ContainsAny(msg, "\r\n") {
			t.Errorf("line %d message %q does not carry why %q and command %q on one line", i, msg, want.Why, want.Command)
		}
	}
}

// TestSARIFSchemaBites plants violations of the 2.1.0 schema in real
// output and wants the schema check to reject each.
func TestSARIFSchemaBites(t *testing.T) {
	r := report(t)
	var buf bytes.Buffer
	if err := SARIF(&buf, r, tool); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ from, to string }{
		{`"startLine": `, `"startLine": -`},
		{`"level": "error"`, `"level": "fatal"`},
		{`"executionSuccessful": true`, `"executionSuccessful": "yes"`},
	} {
		doc := strings.Replace(buf.String(), bad.from, bad.to, 1)
		if doc == buf.String() {
			t.Fatalf("%q not in the output", bad.from)
		}
		parsed, err := sarif.FromBytes([]byte(doc))
		if err == nil {
			err = parsed.Validate()
		}
		if err == nil {
			t.Errorf("%s -> %s: schema check passed", bad.from, bad.to)
		}
	}
}
