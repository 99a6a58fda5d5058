package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"mvdan.cc/sh/v3/syntax"
)

// Op names, the same as the runbook's boot_ops names.
const (
	OpIntegrityCheck = "integrity_check"
	OpQuickCheck     = "quick_check"
	OpVacuum         = "vacuum"
	OpReindex        = "reindex"
	OpAnalyze        = "analyze"
	OpSHA256         = "sha256"
)

// Finding is one unguarded full-scan op.
type Finding struct {
	File       string `json:"file"`
	Line       int    `json:"line"`
	Col        int    `json:"col"`
	Op         string `json:"op"`
	Command    string `json:"command"` // the source line, trimmed; "[runs: …]" adds the command a code string runs
	Why        string `json:"why"`
	InFunction string `json:"in_function,omitempty"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", f.File, f.Line, f.Col, f.Op, f.Why)
}

// ParseError is a script the shell parser rejects, at the parser's position.
type ParseError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: cannot parse shell script: %s", e.File, e.Line, e.Col, e.Msg)
}

// maxScript bounds what Script reads: boot scripts are small.
const maxScript = 8 << 20

// Script audits one boot script read from src; name is used in findings.
// It reads nothing else: a `.` or `source` of another file is not followed.
func Script(name string, src io.Reader) ([]Finding, error) {
	found, _, err := script(name, src, false)
	return found, err
}

// Unread is a file a script sources that the audit could not read, so
// its code was not audited: an op in it would go unreported.
type Unread struct {
	File   string `json:"file"` // the script with the `.` or `source`
	Line   int    `json:"line"`
	Source string `json:"source"` // that line
	Why    string `json:"why"`
}

func (u Unread) String() string {
	return fmt.Sprintf("%s:%d: %s: not audited: %s", u.File, u.Line, u.Source, u.Why)
}

// Report is what Audit found in a set of boot scripts.
type Report struct {
	Findings []Finding
	Unread   []Unread
}

// Files is Audit's findings alone.
func Files(paths []string) ([]Finding, error) {
	r, err := Audit(paths)
	return r.Findings, err
}

// Audit audits each file in turn, following the files each one sources,
// and lists the sourced files it could not read. It stops at the first
// file it cannot read or parse and returns what it found so far with that
// error. An op reached from two of the files is reported once.
func Audit(paths []string) (Report, error) {
	var r Report
	seen := map[Finding]bool{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return r, fmt.Errorf("audit: %w", err)
		}
		found, unread, err := script(p, f, true)
		f.Close()
		if err != nil {
			return r, err
		}
		for _, u := range unread {
			if !slices.Contains(r.Unread, u) {
				r.Unread = append(r.Unread, u)
			}
		}
		for _, fd := range found {
			key := Finding{File: filepath.Clean(fd.File), Line: fd.Line, Col: fd.Col, Op: fd.Op}
			if abs, err := filepath.Abs(fd.File); err == nil {
				key.File = abs
			}
			if !seen[key] {
				seen[key] = true
				r.Findings = append(r.Findings, fd)
			}
		}
	}
	return r, nil
}

func script(name string, src io.Reader, follow bool) ([]Finding, []Unread, error) {
	data, err := io.ReadAll(io.LimitReader(src, maxScript+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxScript {
		return nil, nil, fmt.Errorf("read %s: larger than %d MiB, not a boot script", name, maxScript>>20)
	}
	file, err := parse(name, data)
	if err != nil {
		return nil, nil, err
	}
	st := &state{
		funcs: map[string]funcDef{}, visited: map[string]bool{},
		values: map[string][]string{}, aliases: map[string][]string{}, assigned: map[string][]wordDef{}, sizeVars: map[string]bool{}, numbers: map[string][]string{}, seen: map[codeKey]bool{}, reported: map[Finding]bool{},
		codeBytes: codeBudget + 2*len(data), expandBytes: expandBudget, expandSteps: expandSteps, codeStrings: maxCodeStrings, order: map[string]int{name: 0},
	}
	w := &walker{src: data, state: st, file: &scriptFile{name: name}}
	if follow {
		st.sources = newSources(name, w, file)
	}
	w.run(file)
	slices.SortStableFunc(w.findings, func(a, b Finding) int {
		if a.File != b.File {
			return st.order[a.File] - st.order[b.File]
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return w.findings, st.unread, nil
}

func parse(name string, data []byte) (*syntax.File, error) {
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(data), name)
	if err == nil {
		return file, nil
	}
	if f, perr := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(bytes.NewReader(data), name); perr == nil {
		return f, nil
	}
	pe := &ParseError{File: name, Msg: err.Error()}
	var se syntax.ParseError
	var le syntax.LangError
	switch {
	case errors.As(err, &se):
		pe.Line, pe.Col, pe.Msg = int(se.Pos.Line()), int(se.Pos.Col()), se.Text
	case errors.As(err, &le):
		pe.Line, pe.Col, pe.Msg = int(le.Pos.Line()), int(le.Pos.Col()), le.Feature+" is not supported"
	}
	return nil, pe
}
