package flyapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/redact"
)

// DecodeMachines decodes a machine list (a JSON array of Machine), as the
// Machines API and `flyctl machine list --json` give it.
func DecodeMachines(body []byte) ([]Machine, error) {
	if err := startsWith(body, '['); err != nil {
		return nil, machineDecodeError(body, err)
	}
	var ms []Machine
	if err := json.Unmarshal(body, &ms); err != nil {
		return nil, machineDecodeError(body, err)
	}
	for i := range ms {
		if ms[i].ID == "" {
			return nil, machineDecodeError(body, fmt.Errorf("machine %d of %d has no id", i+1, len(ms)))
		}
		dropCompatChecks(&ms[i])
	}
	if ms == nil {
		ms = []Machine{}
	}
	return ms, nil
}

// DecodeMachine decodes one Machine object.
func DecodeMachine(body []byte) (*Machine, error) {
	if err := startsWith(body, '{'); err != nil {
		return nil, machineDecodeError(body, err)
	}
	var m Machine
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, machineDecodeError(body, err)
	}
	if m.ID == "" {
		return nil, machineDecodeError(body, errors.New("the machine has no id"))
	}
	dropCompatChecks(&m)
	return &m, nil
}

func dropCompatChecks(m *Machine) {
	kept := m.Checks[:0]
	for _, c := range m.Checks {
		if !strings.HasPrefix(c.Name, compatCheckPrefix) {
			kept = append(kept, c)
		}
	}
	m.Checks = kept
	if len(m.Checks) == 0 {
		m.Checks = nil
	}
}

// logsDoc is the JSON:API document of GET /api/v1/apps/{app}/logs
// (docs/fly-platform.md, "Logs API"). Data is decoded in the same pass (a
// fleet's diagnose decodes thousands of pages); nil data is either
// `"data": null`, an empty page, or no data key, told apart by hasDataKey.
type logsDoc struct {
	Data *[]logRecord `json:"data"`
	Meta struct {
		NextToken token `json:"next_token"`
	} `json:"meta"`
}

// hasDataKey reports whether a logs document has a data key.
func hasDataKey(body []byte) bool {
	var doc struct {
		Data json.RawMessage `json:"data"`
	}
	return json.Unmarshal(body, &doc) == nil && doc.Data != nil
}

// logRecord is one element of a logs page's data array.
type logRecord struct {
	ID         string `json:"id"`
	Attributes struct {
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
	} `json:"attributes"`
}

// token accepts next_token as a string (the wire form) or a bare number.
type token string

func (t *token) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case string(data) == "null":
		*t = ""
		return nil
	case len(data) > 0 && data[0] == '"':
		var s string
		err := json.Unmarshal(data, &s)
		*t = token(s)
		return err
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("next_token is neither a string nor a number")
	}
	*t = token(n.String())
	return nil
}

// DecodeLogs decodes one page of the logs API.
func DecodeLogs(body []byte) (LogPage, error) {
	if err := startsWith(body, '{'); err != nil {
		return LogPage{}, logDecodeError(body, err)
	}
	var doc logsDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) && (te.Field == "data" || strings.HasPrefix(te.Field, "data.")) {
			err = fmt.Errorf(`"data" is not an array: %w`, err)
		}
		return LogPage{}, logDecodeError(body, err)
	}
	// `"data": null` is how a Go server writes an empty slice; fly-go's
	// logs client reads it as no entries, and so do we.
	var data []logRecord
	if doc.Data != nil {
		data = *doc.Data
	} else if !hasDataKey(body) {
		return LogPage{}, logDecodeError(body, errors.New(`no "data" key`))
	}
	page := LogPage{NextToken: strings.TrimSpace(string(doc.Meta.NextToken)), Entries: make([]LogEntry, 0, len(data))}
	for i, d := range data {
		a := d.Attributes
		ts, err := time.Parse(time.RFC3339Nano, a.Timestamp)
		if err != nil {
			return LogPage{}, logDecodeError(body, fmt.Errorf("entry %d: timestamp %.40q is not RFC 3339", i+1, a.Timestamp))
		}
		page.Entries = append(page.Entries, LogEntry{
			ID: d.ID, Timestamp: ts, Message: a.Message, Level: a.Level,
			Instance: a.Instance, Region: a.Region, Provider: a.Meta.Event.Provider,
		})
	}
	return page, nil
}

func startsWith(body []byte, c byte) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return errors.New("the body is empty")
	}
	if body[0] != c {
		return fmt.Errorf("expected a JSON %s", map[byte]string{'[': "array", '{': "object"}[c])
	}
	return nil
}

func machineDecodeError(body []byte, err error) error {
	return &DecodeError{API: "machines", Want: "machine JSON", Snippet: snippet(body, redact.Default), Err: err}
}

func logDecodeError(body []byte, err error) error {
	return &DecodeError{API: "logs", Want: "log JSON", Snippet: snippet(body, redact.Default), Err: err}
}

// jsonObject decodes body into v when it is a JSON object.
func jsonObject(body []byte, v any) bool {
	return startsWith(body, '{') == nil && json.Unmarshal(body, v) == nil
}
