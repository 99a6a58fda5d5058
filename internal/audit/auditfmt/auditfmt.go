// Package auditfmt writes an audit report for machines that review code:
// SARIF 2.1.0 for code scanning, and GitHub Actions workflow commands that
// annotate a pull request.
//
// The SARIF is written from the few structs below rather than a SARIF
// library: the one served for Go (go-sarif) links a JSON-schema validator
// and the 100 KB schema into the binary (3 MB here) to write what these
// structs write. The tests use it to check the output against the schema.
package auditfmt

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/jpops-dev/jpops/internal/audit"
)

// Tool names the program in the SARIF it writes.
type Tool struct {
	Name, Version, InformationURI string
}

// SARIF schema and version written.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

// The part of SARIF 2.1.0 that an audit report fills.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Language         string            `json:"language"`
		NewlineSequences []string          `json:"newlineSequences"`
		Tool             sarifTool         `json:"tool"`
		Invocations      []sarifInvocation `json:"invocations"`
		Results          []sarifResult     `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Language       string      `json:"language"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string          `json:"id"`
		Name                 string          `json:"name"`
		ShortDescription     sarifText       `json:"shortDescription"`
		FullDescription      sarifText       `json:"fullDescription"`
		Help                 sarifText       `json:"help"`
		DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	}
	sarifRuleConfig struct {
		Level string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifInvocation struct {
		ExecutionSuccessful        bool                `json:"executionSuccessful"`
		ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
	sarifResult struct {
		RuleID     string          `json:"ruleId"`
		RuleIndex  int             `json:"ruleIndex"`
		Level      string          `json:"level"`
		Message    sarifText       `json:"message"`
		Locations  []sarifLocation `json:"locations"`
		Properties resultProps     `json:"properties"`
	}
	// resultProps carry what a finding says beyond its place, so that a
	// reader gets back every field.
	resultProps struct {
		Op         string `json:"op"`
		Command    string `json:"command"`
		Why        string `json:"why"`
		InFunction string `json:"inFunction,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
)

// ops lists every op the audit reports, one SARIF rule each, with what it
// does to a boot.
var ops = []struct{ op, name, what string }{
	{audit.OpIntegrityCheck, "UnguardedIntegrityCheck", "PRAGMA integrity_check reads every page of the database"},
	{audit.OpQuickCheck, "UnguardedQuickCheck", "PRAGMA quick_check reads every page of the database"},
	{audit.OpVacuum, "UnguardedVacuum", "VACUUM rewrites the whole database"},
	{audit.OpReindex, "UnguardedReindex", "REINDEX rebuilds every index"},
	{audit.OpAnalyze, "UnguardedAnalyze", "ANALYZE scans every table and index"},
	{audit.OpSHA256, "UnguardedChecksum", "a checksum of the database reads every byte of it"},
}

const fix = "Guard it with a size check that skips a large database (run it only when " +
	"`[ \"$(stat -c %s \"$DB\")\" -lt \"$MAX_BOOT_CHECK_BYTES\" ]`), an override variable " +
	"(BOOT_ENFORCE_INTEGRITY_CHECK=1), or move it out of the boot path."

// RuleID is the SARIF rule of an op.
func RuleID(op string) string { return "unguarded-" + op }

// SARIF writes r as a SARIF 2.1.0 log with one run. File paths are written
// as URIs relative to the current directory (the checkout's root in CI),
// or as file: URIs when they are outside it.
func SARIF(w io.Writer, r audit.Report, tool Tool) error {
	run := sarifRun{
		// The spec's defaults, written out: readers that fill in what is
		// missing otherwise fill in values the schema rejects.
		Language: "en-US", NewlineSequences: []string{"\r\n", "\n"},
		Tool:        sarifTool{Driver: sarifDriver{Name: tool.Name, Language: "en-US", Version: tool.Version, InformationURI: tool.InformationURI}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		Results:     []sarifResult{},
	}
	index := map[string]int{}
	for i, o := range ops {
		index[o.op] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   RuleID(o.op),
			Name:                 o.name,
			ShortDescription:     sarifText{Text: o.op + " runs at every boot with nothing to stop it"},
			FullDescription:      sarifText{Text: o.what + ". Run at every boot with no size gate or override, it holds a multi-GB database's boot past the health-check grace."},
			Help:                 sarifText{Text: fix},
			DefaultConfiguration: sarifRuleConfig{Level: "error"},
		})
	}
	for _, f := range r.Findings {
		i, ok := index[f.Op]
		if !ok {
			return fmt.Errorf("sarif: no rule for op %q", f.Op)
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: RuleID(f.Op), RuleIndex: i, Level: "error",
			Message:    sarifText{Text: f.Op + ": " + f.Why + "\n" + f.Command},
			Locations:  []sarifLocation{location(f.File, f.Line, f.Col)},
			Properties: resultProps{Op: f.Op, Command: f.Command, Why: f.Why, InFunction: f.InFunction},
		})
	}
	for _, u := range r.Unread {
		run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications, sarifNotification{
			Level:     "warning",
			Message:   sarifText{Text: u.Source + ": not audited: " + u.Why},
			Locations: []sarifLocation{location(u.File, u.Line, 0)},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}})
}

func location(file string, line, col int) sarifLocation {
	loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: artifact(file)}}
	if line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: line, StartColumn: max(col, 0)}
	}
	return loc
}

// artifact is a file's SARIF location: relative to the source root when
// it is under the current directory, a file: URI otherwise.
func artifact(file string) sarifArtifact {
	rel := relPath(file)
	if filepath.IsAbs(rel) {
		return sarifArtifact{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(rel)}).String()}
	}
	return sarifArtifact{URI: (&url.URL{Path: filepath.ToSlash(rel)}).String(), URIBaseID: "%SRCROOT%"}
}

// relPath is file relative to the current directory when it is under it,
// else absolute.
func relPath(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return filepath.Clean(file)
	}
	wd, err := filepath.Abs(".")
	if err != nil {
		return abs
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return rel
	}
	return abs
}

// GitHub writes r as GitHub Actions workflow commands: one ::error per
// finding and one ::warning per sourced file not audited, each at its
// file and line, so the run annotates the pull request's diff.
func GitHub(w io.Writer, r audit.Report) error {
	for _, f := range r.Findings {
		if _, err := fmt.Fprintf(w, "::error file=%s,line=%d,col=%d,title=%s::%s\n",
			property(filepath.ToSlash(relPath(f.File))), f.Line, f.Col, property("jpops audit: unguarded "+f.Op),
			data(f.Why+"\n"+f.Command)); err != nil {
			return err
		}
	}
	for _, u := range r.Unread {
		if _, err := fmt.Fprintf(w, "::warning file=%s,line=%d,title=%s::%s\n",
			property(filepath.ToSlash(relPath(u.File))), u.Line, property("jpops audit: sourced file not audited"),
			data(u.Source+": not audited: "+u.Why)); err != nil {
			return err
		}
	}
	return nil
}

// GitHubParseError writes a script the shell parser rejects as an ::error
// at the parser's position: the audit read nothing past it.
func GitHubParseError(w io.Writer, pe *audit.ParseError) {
	fmt.Fprintf(w, "::error file=%s,line=%d,col=%d,title=%s::%s\n", property(filepath.ToSlash(relPath(pe.File))),
		max(pe.Line, 1), max(pe.Col, 1), property("jpops audit: cannot parse shell script"), data(pe.Msg))
}

// data escapes a workflow command's message, as the Actions toolkit does.
func data(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// property escapes a workflow command's property value.
func property(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
