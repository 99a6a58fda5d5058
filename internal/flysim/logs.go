package flysim

import (
	"fmt"
	"sort"
	"time"
)

// logEntry is one platform log line before it is put on the wire.
type logEntry struct {
	ts       time.Time
	provider string // app | runner | health | proxy
	level    string // info | error
	instance string
	region   string
	message  string
}

// line is a boot log line at an offset from the boot's start.
type line struct {
	after    time.Duration
	provider string
	level    string
	msg      string
}

// bootLines returns the fixed lines of one boot, by offset from boot.at.
func bootLines(b boot, app string) []line {
	var ls []line
	s := time.Duration(0)
	if b.replace {
		s = stopFor
		ls = append(ls, line{s, "runner", "info", "Pulling container image " + b.image.ref(app)})
	}
	ls = append(ls,
		line{s + 800*time.Millisecond, "runner", "info", fmt.Sprintf("Successfully prepared image %s (1.21s)", b.image.ref(app))},
		line{s + 1200*time.Millisecond, "runner", "info", "Configuring firecracker"},
		line{s + 1500*time.Millisecond, "runner", "info", "INFO Starting init (commit: 6f2e8b0c)..."},
		line{s + 1600*time.Millisecond, "runner", "info", "INFO Preparing to run: `/app/entrypoint.sh` as root"},
		line{s + 1700*time.Millisecond, "runner", "info", "INFO [fly api proxy] listening at /.fly/api"},
		line{s + 1900*time.Millisecond, "runner", "info", "Machine started in 1.953s"},
		line{s + 2500*time.Millisecond, "app", "info", "/dev/vdc: clean, 11/1310720 files, 2417023/5242880 blocks"},
	)
	switch b.behavior {
	case bootCrash:
		return ls
	}
	ls = append(ls, line{s + 3000*time.Millisecond, "app", "info",
		fmt.Sprintf("[entrypoint] §2 size-based authoritative: %s size=%d >= threshold=%d (skip sha256)", dbPath, dbSize, dbThreshold)})
	if b.behavior == bootWedge {
		return append(ls, line{s + 3500*time.Millisecond, "app", "info", "[entrypoint] running integrity_check on " + dbPath + " ..."})
	}
	return append(ls,
		line{s + 3500*time.Millisecond, "app", "info",
			fmt.Sprintf("[entrypoint] size-based integrity_check skip for %s (size=%d >= threshold=%d)", dbPath, dbSize, dbThreshold)},
		line{s + 5*time.Second, "app", "info", "[entrypoint] schema_guard returns OK"},
		line{s + 7*time.Second, "app", "info", "INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)"},
	)
}

// crashLines are the lines of one crash-loop attempt, by offset from its start.
var crashLines = []line{
	{0, "runner", "info", "INFO Starting init (commit: 6f2e8b0c)..."},
	{100 * time.Millisecond, "runner", "info", "INFO Preparing to run: `/app/entrypoint.sh` as root"},
	{2 * time.Second, "app", "info", "[entrypoint] connecting to redis at redis://autonomath-redis.internal:6379"},
	{4 * time.Second, "app", "info", "Error: cannot connect to redis (dial tcp [fdaa:9:4b1c::3]:6379: connect: connection refused)"},
	{crashRunsFor, "runner", "info", "INFO Main child exited normally with code: 1"},
	{crashRunsFor + 100*time.Millisecond, "runner", "info", "INFO Starting clean up."},
}

// stopLines end a boot that a deploy replaces, by offset from the replacement.
var stopLines = []line{
	{100 * time.Millisecond, "runner", "info", "Sending signal SIGINT to main child process w/ PID 313"},
	{time.Second, "runner", "info", "INFO Main child exited with signal (with signal 'SIGINT', core dumped? false)"},
	{1100 * time.Millisecond, "runner", "info", "INFO Starting clean up."},
}

// logsBetween returns the log lines of the app (of one machine when instance
// is set) with from < ts <= to, oldest first. Lines are generated from the
// boots on demand; each gets a distinct nanosecond so that next_token paging
// never splits two lines of one moment.
func (s *Server) logsBetween(from, to time.Time, instance string) []logEntry {
	var out []logEntry
	for _, m := range s.machines {
		if instance != "" && m.id != instance {
			continue // one machine's logs need not build every machine's
		}
		if m.kind != "" {
			// One boot long ago; resting machines stopped after it.
			end := m.stoppedAt()
			if m.kind == kindConsole {
				end = time.Time{}
			}
			out = m.bootLogs(out, m.boots[0], end, s.app, from, to)
			continue
		}
		for i, b := range m.boots {
			end := time.Time{}
			if i+1 < len(m.boots) {
				end = m.boots[i+1].at
			}
			out = m.bootLogs(out, b, end, s.app, from, to)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ts.Before(out[j].ts) })
	return out
}

// bootLogs appends the lines of boot b (which ends at end, or never if zero)
// that fall in (from, to].
func (m *machine) bootLogs(out []logEntry, b boot, end time.Time, app string, from, to time.Time) []logEntry {
	if !end.IsZero() {
		// The replaced boot's shutdown lines come just after end.
		for i, l := range stopLines {
			out = m.emit(out, end.Add(l.after), 90+i, l, from, to)
		}
		if end.Before(to) {
			to = end
		}
	}
	if b.at.After(to) {
		return out
	}
	for i, l := range bootLines(b, app) {
		out = m.emit(out, b.at.Add(l.after), i, l, from, to)
	}
	st := b.started()
	switch b.behavior {
	case bootWedge:
		health := line{0, "health", "error", fmt.Sprintf("Health check '%s' on port 8080 has failed. Your app is not responding properly. Services exposed on ports [80, 443] will have intermittent failures until the health check passes.", checkName)}
		out = m.periodic(out, st.Add(gracePeriod), healthEvery, 40, health, from, to)
		proxy := line{0, "proxy", "error", proxyError}
		out = m.periodic(out, st.Add(gracePeriod+30*time.Second+time.Duration(m.idx)*7*time.Second), proxyEvery, 50, proxy, from, to)
	case bootCrash:
		k0 := 0
		if from.After(st) {
			k0 = int(from.Sub(st)/crashEvery) - 1
			if k0 < 0 {
				k0 = 0
			}
		}
		for k := k0; b.maxRetries == 0 || k < b.maxRetries; k++ {
			a := crashAttempt(b, k)
			if a.After(to) {
				break
			}
			for i, l := range crashLines {
				if k == 0 && i < 2 {
					continue // the boot lines already said it
				}
				out = m.emit(out, a.Add(l.after), 60+i, l, from, to)
			}
		}
	}
	return out
}

// periodic appends a line repeated every period from first, within (from, to].
func (m *machine) periodic(out []logEntry, first time.Time, period time.Duration, seq int, l line, from, to time.Time) []logEntry {
	k := 0
	if from.After(first) {
		k = int(from.Sub(first) / period)
	}
	for ; ; k++ {
		t := first.Add(time.Duration(k) * period)
		if t.After(to) {
			return out
		}
		out = m.emit(out, t, seq, l, from, to)
	}
}

func (m *machine) emit(out []logEntry, t time.Time, seq int, l line, from, to time.Time) []logEntry {
	t = t.Add(time.Duration(m.idx*1000+seq) * time.Nanosecond)
	if !t.After(from) || t.After(to) {
		return out
	}
	return append(out, logEntry{ts: t, provider: l.provider, level: l.level, instance: m.id, region: m.region, message: l.msg})
}
