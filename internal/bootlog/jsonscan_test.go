package bootlog

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog/bootlogtest"
	"github.com/jpops-dev/jpops/internal/bootlog/fastscan"
	"github.com/jpops-dev/jpops/runbook"
)

// genJSONLog writes genLog's n lines as `flyctl logs --json` does:
// pretty-printed objects, one after another.
func genJSONLog(w io.Writer, n int) {
	var text bytes.Buffer
	genLog(&text, n)
	Read(&text, func(en Entry) error {
		w.Write(bootlogtest.JSONEntry(en.Time, en.Provider, en.Machine, en.Region, en.Level, en.Message))
		return nil
	})
}

// agreeJSON scans what open returns with Scan and with Read and Feed and
// reports any difference in Stats, findings or attempts. Both get the same
// reads: where a value over MaxLine is cut depends on them.
func agreeJSON(t *testing.T, open func() io.Reader) {
	t.Helper()
	rb := runbook.Default()
	slow, fast := New(rb), New(rb)
	want, werr := Read(open(), func(e Entry) error { slow.Feed(e); return nil })
	got, gerr := fast.Scan(open())
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("errors differ: Scan %v, Read %v", gerr, werr)
	}
	if got != want {
		t.Errorf("stats: Scan %+v, Read %+v", got, want)
	}
	for _, now := range []time.Time{{}, at(60)} {
		if a, b := slow.Findings(now), fast.Findings(now); !reflect.DeepEqual(a, b) {
			t.Errorf("findings as of %v differ:\nScan: %+v\nRead: %+v", now, b, a)
		}
		if a, b := slow.Attempts(now), fast.Attempts(now); !reflect.DeepEqual(a, b) {
			t.Errorf("attempts as of %v differ:\nScan: %+v\nRead: %+v", now, b, a)
		}
	}
}

func isJSONLog(log string) bool {
	_, js, _ := fastscan.Sniff(strings.NewReader(log))
	return js
}

func TestScanJSONAgreesWithFeed(t *testing.T) {
	var big bytes.Buffer
	genJSONLog(&big, 4_000) // two batches
	obj := `{"level":"info","instance":"` + m1 + `","message":"%s","timestamp":"2026-05-11T11:%02d:00Z"}` + "\n"
	huge := strings.Repeat("x", MaxLine+10)
	tests := []struct {
		name string
		log  string
	}{
		{"flyctl fixture", string(readFixture(t, "flyctl-logs.json"))},
		{"logs API page", string(readFixture(t, "logs-api-page.json"))},
		{"generated", big.String()},
		{"overlong line inside an object", `{"message":"running integrity_check on /a.db","instance":"m","timestamp":"2026-05-11T11:00:00Z"}` + "\n{\n\"message\": \"" + huge + "\"}\n" + `{"instance":"m","message":"x","timestamp":"2026-05-11T11:30:00Z"}`},
		{"object over MaxLine in short lines", "{\n" + strings.Repeat(`"a": "`+strings.Repeat("y", 1000)+"\",\n", 1100) + `"message":"running integrity_check on /b.db","instance":"m"}` + "\n" + big.String()[:50_000]},
		{"escaped keyword", `{"instance":"m","message":"running integrity\u005fcheck on /c.db","timestamp":"2026-05-11T11:00:00Z"}{"instance":"m","message":"x","timestamp":"2026-05-11T11:50:00Z"}`},
		{"short escapes", `{"instance":"m","message":"INFO: \"GET /\" running integrity_check on \/f.db\t","timestamp":"2026-05-11T11:00:00Z"}{"instance":"m","message":"\"ok\"\n","timestamp":"2026-05-11T11:58:00Z"}`},
		{"case-variant and repeated keys", `{"MESSAGE":"running integrity_check on /d.db","Instance":"m","TimeStamp":"2026-05-11T11:00:00Z"}{"instance":"m","instance":"","message":"x","timestamp":"2026-05-11T11:55:00Z","timestamp":"2026-05-11T11:56:00Z"}`},
		{"type errors are malformed", `{"instance":"m","message":"x","timestamp":5}{"meta":"x","message":"y"}{"message":"z","meta":{"Event":{"Provider":1}}}{"message":"w","timestamp":"2026-05-11T11:10:00Z","meta":null}`},
		{"garbage and a truncated last value", "[{\"message\":\"a\"},\n{\"message\":\"b\",\"timestamp\":\"2026-05-11T11:20:00Z\"}] nonsense {\"message\": \"running integrity_check on /e.db\""},
		{"many small", strings.Repeat(strings.ReplaceAll(obj, "%s", "x"), 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !isJSONLog(tt.log) {
				t.Fatal("the test log is not read as JSON")
			}
			agreeJSON(t, func() io.Reader { return strings.NewReader(tt.log) })
			agreeJSON(t, func() io.Reader { return smallReads{strings.NewReader(tt.log), 7777} })
		})
	}
}

// quickJSON must accept only what json.Unmarshal decodes, and agree on
// whether it is an entry and on its timestamp.
func TestQuickJSON(t *testing.T) {
	tests := []struct {
		obj     string
		ok      bool
		isEntry bool
	}{
		{`{}`, true, false},
		{`{"region":"nrt"}`, true, false},
		{`{"LEVEL":"info"}`, true, true},
		{`{"meta":{"instance":"m"}}`, true, true},
		{`{"meta":{"Instance":""},"x":[1,-2.5e+3,true,false,null,{"a":[]}]}`, true, false},
		{`{"message":""}`, true, false},
		{`{"message":null}`, false, false},
		{`{"message":5}`, false, false},
		{`{"meta":[]}`, false, false},
		{`{"data":[]}`, false, false},
		{`{"Attributes":{}}`, false, false},
		{`{"level":"a","Level":"b"}`, false, false},
		{`{"x":01}`, false, false},
		{`{"x":1.}`, false, false},
		{`{"x":-}`, false, false},
		{`{"x":tru}`, false, false},
		{`{"x":"a` + "\n" + `"}`, false, false},
		{`{"x":"a\"b\\\/\b\f\n\r\t"}`, true, false},
		{`{"message":"\""}`, true, true},
		{`{"message":"a\u0041"}`, false, false},
		{`{"message":"a\x"}`, false, false},
		{`{"message":"a\`, false, false},
		{`{"timestamp":"2026-05-11T11:00:00\/Z"}`, false, false},
		{`{"mess\/age":"x"}`, false, false},
		{`{"x":1,}`, false, false},
		{`{"x" 1}`, false, false},
		{`{"ſevel":"a"}`, false, false},
		{`{"a":1}}`, false, false},
		{`{"a":[1 2]}`, false, false},
		{`{"timestamp":"2026-05-11T11:00:00Z","x":"` + "\xff" + `"}`, true, true},
	}
	var q quickJSON
	for _, tt := range tests {
		isEntry, _, ok := q.entry([]byte(tt.obj))
		if ok != tt.ok || isEntry != tt.isEntry {
			t.Errorf("entry(%s) = %v, ok %v; want %v, ok %v", tt.obj, isEntry, ok, tt.isEntry, tt.ok)
		}
		checkQuick(t, []byte(tt.obj))
	}
}

// checkQuick holds quickJSON to json.Unmarshal on obj.
func checkQuick(t *testing.T, obj []byte) {
	t.Helper()
	var q quickJSON
	isEntry, ts, ok := q.entry(obj)
	if !ok {
		return
	}
	var doc jsonDoc
	if err := json.Unmarshal(obj, &doc); err != nil {
		t.Fatalf("quickJSON accepted %q, json.Unmarshal: %v", obj, err)
	}
	if doc.Data != nil || doc.Attributes != nil || doc.isEntry() != isEntry || doc.Timestamp != string(ts) {
		t.Fatalf("quickJSON on %q: entry %v, timestamp %q; json.Unmarshal: %+v", obj, isEntry, ts, doc)
	}
}

// checkReadObject holds what the splitter of a mapped file takes from the
// strict reader (see fastscan.ObjectReader) to the splitter's own end of
// the value and to entry on it.
func checkReadObject(t *testing.T, b []byte) {
	t.Helper()
	n, note := (*shapes)(nil).readObject(b)
	if n == 0 {
		return
	}
	var st fastscan.Counts
	var buf []byte
	var first []byte
	fastscan.SplitJSONValues(fastscan.NewChunker(bytes.NewReader(b), &st), &st, &buf, func() error {
		if first == nil {
			first = bytes.Clone(buf)
		}
		return nil
	})
	if !bytes.Equal(first, b[:n]) {
		t.Fatalf("readObject read %d bytes of %q; the splitter's first value is %q", n, b, first)
	}
	var q quickJSON
	isEntry, ts, ok := q.entry(b[:n])
	noteEntry, noteTS := fromNote(b[:n], note)
	if !ok || isEntry != noteEntry || !bytes.Equal(ts, noteTS) {
		t.Fatalf("readObject on %q: entry %v, timestamp %q; entry: %v %v %q", b, noteEntry, noteTS, ok, isEntry, ts)
	}
}

// checkShapes holds the shapes learnt from the values of log, one after
// another, to the strict reader alone on every value and on the rest of
// the input from it, as the splitter of a mapped file offers it.
func checkShapes(t *testing.T, log []byte) {
	t.Helper()
	var sh shapes
	var st fastscan.Counts
	var buf []byte
	fastscan.SplitJSONValues(fastscan.NewChunker(bytes.NewReader(log), &st), &st, &buf, func() error {
		at := bytes.Index(log, buf)
		for _, b := range [][]byte{buf, log[at:]} {
			var q, plain quickJSON
			n, isEntry, ts, ok := sh.prefix(&q, b)
			wn, wIsEntry, wts, wok := plain.prefix(b)
			if n != wn || isEntry != wIsEntry || !bytes.Equal(ts, wts) || ok != wok {
				t.Fatalf("on %q after %d values: shapes read %d bytes, entry %v, timestamp %q, ok %v; the strict reader %d, %v, %q, %v", b, sh.next.Load(), n, isEntry, ts, ok, wn, wIsEntry, wts, wok)
			}
		}
		buf = buf[:0]
		return nil
	})
}

// TestShapes: objects of a learnt shape whose values differ are read as
// the strict reader reads them, also where they are not valid or not what
// the shape's field needs.
func TestShapes(t *testing.T) {
	obj := func(ts, msg, inst, code string) string {
		return "{\n  \"timestamp\": \"" + ts + "\",\n  \"message\": \"" + msg + "\",\n  \"meta\": {\"Instance\": \"" + inst + "\", \"Code\": " + code + ", \"x\": [\"a\", 1, true]}\n}\n"
	}
	tests0 := obj("2026-05-11T11:00:00Z", "hello", "m", "0")
	tests := []string{
		tests0,
		obj("", "", "", "-1.5e+3"),
		obj("2026-05-11T11:00:00\\/Z", "a", "m", "0"),
		obj("2026-05-11T11:00:00Z\xff", "a", "m", "0"),
		obj("2026-05-11", "a\\\"b\\nc\\td", "", "12"),
		obj("2026-05-11", "a\\u0041", "", "1"),
		obj("2026-05-11", "a\x01b", "", "1"),
		obj("2026-05-11", "a\\x", "", "1"),
		obj("2026-05-11", "very long message, longer than eight bytes, \xe2\x9c\x93 with a tick", "m", "1"),
		obj("2026-05-11", "m", "m", "01"),
		obj("2026-05-11", "m", "m", "1."),
		obj("2026-05-11", "m", "m", "-"),
		obj("2026-05-11", "m", "m", "\"1\""),
		obj("2026-05-11", "unterminated", "m", "1")[:40],
		strings.Replace(obj("2026-05-11", "a", "m", "1"), "\n}\n", "\n]\n", 1),
		tests0[:len(tests0)-2],
		`{"timestamp":"2026-05-11T11:00:00Z","message":"x"}`,
		`{"timestamp":"2026-05-11T11:00:00Z","message":"x","message":"y"}`,
	}
	checkShapes(t, []byte(strings.Join(tests, "")))
	for _, tt := range tests {
		checkShapes(t, []byte(tests[0]+tt))
	}
}

// FuzzScanJSONAgreesWithFeed holds Scan's JSON fast path to Read with Feed.
// When long&3 is 1, "LONG" in the log becomes a run of bytes near MaxLine,
// for values and lines around the overlong limits.
func FuzzScanJSONAgreesWithFeed(f *testing.F) {
	f.Add([]byte(readFixtureF(f, "flyctl-logs.json")), uint8(0))
	f.Add([]byte(readFixtureF(f, "logs-api-page.json")), uint8(0))
	f.Add([]byte(`{"instance":"m","message":"running integrity\u005fcheck on /c.db","timestamp":"2026-05-11T11:00:00Z"}{"message":"x","timestamp":"2026-05-11T11:50:00Z"}`), uint8(0))
	f.Add([]byte(`{"MESSAGE":"running integrity_check on /d.db","Instance":"m","timeStamp":"2026-05-11T11:00:00Z","meta":{"event":{"provider":"app"}},"meta":{"Region":"x"}}`), uint8(0))
	f.Add([]byte(`[{"message":"ok","instance":"m"},{"message":"b"}] {"data":[{"attributes":{"message":"running vacuum on /x.db","instance":"m"}}]} {"attributes":{"message":"ok"}}`), uint8(0))
	f.Add([]byte(`{"instance":"m","message":"x","timestamp":5}{"meta":"x","message":"y"}{"message":"z\\\"","meta":null}garbage{"message":"running analyze on /t.db"`), uint8(0))
	f.Add([]byte(`{"timestamp":"2026-05-11T11:00:00Z","message":"a\"b","meta":{"Code":0,"x":[true,"y"]}}{"timestamp":"2026-05-11T11:01:00Z","message":"","meta":{"Code":-1.5,"x":[true,""]}}{"timestamp":"","message":"\u0041","meta":{"Code":01,"x":[true,"y"]}}`), uint8(0))
	f.Add([]byte("{\"message\":\"running integrity_check on /d.db\",\"instance\":\"m\"}\n{\"message\":\"LONG\"}\n{\"message\":\"  ok\",\"instance\":\"m\"}"), uint8(1))
	f.Add([]byte("{\"instance\":\"m\",\"message\":\"running integrity_check on /d.db\",\n\"x\":\"LONG\",\n\"y\":\"LONG\"}\n{\"message\":\"ok\",\"instance\":\"m\",\"timestamp\":\"2026-05-11T11:59:00Z\"}"), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, long uint8) {
		log := string(data)
		if long&3 == 1 {
			log = strings.ReplaceAll(log, "LONG", strings.Repeat("a", MaxLine/2-64+int(long>>2)*4))
		}
		if !isJSONLog(log) {
			return
		}
		if len(data) < 4096 {
			checkQuick(t, data)
			checkReadObject(t, data)
			checkShapes(t, data)
		}
		agreeJSON(t, func() io.Reader { return strings.NewReader(log) })
	})
}

func benchJSON(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	genJSONLog(&buf, n)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	return buf.Bytes()
}

// BenchmarkScanJSON is `jpops scan` on `flyctl logs --json` output, against
// the plain path (Read with Feed) on the same input.
func BenchmarkScanJSON(b *testing.B) {
	data := benchJSON(b, 50_000)
	rb := runbook.Default()
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := New(rb).Scan(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read+feed", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			e := New(rb)
			if _, err := Read(bytes.NewReader(data), func(en Entry) error { e.Feed(en); return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkQuickJSON is the strict reader alone on the values of a
// `flyctl logs --json` log, pretty-printed and compacted.
func BenchmarkQuickJSON(b *testing.B) {
	var pretty bytes.Buffer
	genJSONLog(&pretty, 20_000)
	var values [][]byte
	dec := json.NewDecoder(bytes.NewReader(pretty.Bytes()))
	for {
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
		values = append(values, raw)
	}
	compact := make([][]byte, len(values))
	for i, v := range values {
		var out bytes.Buffer
		json.Compact(&out, v)
		compact[i] = out.Bytes()
	}
	var q quickJSON
	var sh shapes
	readers := []struct {
		name string
		read func(v []byte) bool
	}{
		{"", func(v []byte) bool { _, _, ok := q.entry(v); return ok }},
		{"/shapes", func(v []byte) bool { _, _, ok := sh.entry(&q, v); return ok }},
	}
	for _, form := range []struct {
		name   string
		values [][]byte
	}{{"pretty", values}, {"compact", compact}} { // pretty: as flyctl writes them
		n := 0
		for _, v := range form.values {
			n += len(v)
		}
		for _, r := range readers {
			b.Run(form.name+r.name, func(b *testing.B) {
				b.SetBytes(int64(n))
				q, sh = quickJSON{}, shapes{}
				for b.Loop() {
					for _, v := range form.values {
						if !r.read(v) {
							b.Fatalf("not read: %s", v)
						}
					}
				}
			})
		}
	}
}
