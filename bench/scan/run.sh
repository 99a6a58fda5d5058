#!/usr/bin/env bash
# Times `jpops scan` against `grep -c integrity_check` and, when installed,
# ripgrep's `rg -c` (Debian: apt-get install ripgrep) on the same generated
# log, side by side: flyctl's text format, with FORMAT json the output of
# `flyctl logs --json` (pretty-printed objects) for the same kind of lines,
# with FORMAT ndjson the same entries one object a line.
#
#   bench/scan/run.sh [DIR] [RUNS] [LINES] [FORMAT]
#
# DIR holds the log and the binary (a new temporary directory by default,
# removed afterwards; created if missing); RUNS defaults to 5, LINES to
# 1000000 (~150 MB of text) or 200000 for json and ndjson (~144 and 80
# MB); FORMAT is text (the default), json or ndjson. A log longer than
# the default runs past the scan's clock: set NOW to a later time, e.g.
# NOW=2026-05-11T17:00:00Z for 4000000 lines.
set -euo pipefail

cd "$(dirname "$0")/../.."
. bench/lib.sh
dir=${1:-}
runs=${2:-5}
format=${4:-text}
case "$format" in
text) lines=${3:-1000000} gen="" log=app.log ;;
json) lines=${3:-200000} gen="-json" log=app.json ;;
ndjson) lines=${3:-200000} gen="-json" log=app.ndjson ;;
*)
	echo "FORMAT must be text, json or ndjson, not $format" >&2
	exit 2
	;;
esac
if [ -z "$dir" ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
log="$dir/$log"
# The scan's clock: past the generated log's last line (NOW to set it for
# a log longer than the default, whose lines run later).
now=${NOW:-2026-05-11T12:15:00Z}

echo "generating $lines $format lines into $log"
go run ./bench/scan/gen $gen -n "$lines" -o "$log"
if [ "$format" = ndjson ]; then # one object a line: the same values, compacted
	python3 -c 'import json,sys
d=json.JSONDecoder(); s=open(sys.argv[1]).read(); i=0; out=open(sys.argv[1]+".nd","w")
while True:
    while i < len(s) and s[i] in " \t\r\n": i += 1
    if i >= len(s): break
    o, i = d.raw_decode(s, i); out.write(json.dumps(o, separators=(",", ":")) + "\n")' "$log"
	mv "$log.nd" "$log"
fi
build_jpops "$dir"
ls -l "$log" | awk '{printf "log size: %.1f MB\n", $5/1e6}'
cat "$log" >/dev/null # warm the page cache for both

timer=""
if [ -x /usr/bin/time ]; then
	timer="/usr/bin/time -f %e:%M:%U:%S -o $dir/time.out"
else
	echo "note: /usr/bin/time not found; peak RSS not measured"
fi

# measure NAME CMD...: runs CMD, appends "seconds rss_kb" to $dir/NAME.times.
measure() {
	local name=$1
	shift
	local start end rc=0
	start=$(date +%s.%N)
	$timer "$@" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
	end=$(date +%s.%N)
	local rss=NA cpu=NA
	if [ -n "$timer" ]; then
		rss=$(tail -1 "$dir/time.out" | cut -d: -f2)
		cpu=$(tail -1 "$dir/time.out" | awk -F: '{print $3 + $4}')
	fi
	echo "$(echo "$end - $start" | bc) $rss $cpu" >>"$dir/$name.times"
	echo "$rc" >"$dir/$name.rc"
}

# Output goes to a file, never /dev/null: GNU grep stops at the first match
# when it sees its output is /dev/null.
rm -f "$dir"/*.times
rg=$(command -v rg || true)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
	measure grep grep -c integrity_check "$log"
	[ -n "$rg" ] && measure rg "$rg" -c integrity_check "$log"
	measure jpops "$dir/jpops" scan "$log" --json --now "$now"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

g=$(cut -d' ' -f1 "$dir/grep.times" | median)
j=$(cut -d' ' -f1 "$dir/jpops.times" | median)
gr=$(cut -d' ' -f2 "$dir/grep.times" | sort -n | tail -1)
jr=$(cut -d' ' -f2 "$dir/jpops.times" | sort -n | tail -1)
gc=$(cut -d' ' -f3 "$dir/grep.times" | median)
jc=$(cut -d' ' -f3 "$dir/jpops.times" | median)
printf '%-26s %10s %12s %12s %s\n' "" "median s" "median CPU s" "peak RSS KB" "result"
printf '%-26s %10s %12s %12s %s\n' "grep -c integrity_check" "$g" "$gc" "$gr" "count $(cat "$dir/grep.out")"
if [ -n "$rg" ]; then
	r=$(cut -d' ' -f1 "$dir/rg.times" | median)
	rr=$(cut -d' ' -f2 "$dir/rg.times" | sort -n | tail -1)
	rc=$(cut -d' ' -f3 "$dir/rg.times" | median)
	printf '%-26s %10s %12s %12s %s\n' "rg -c integrity_check" "$r" "$rc" "$rr" "count $(cat "$dir/rg.out")"
fi
printf '%-26s %10s %12s %12s %s\n' "jpops scan --json" "$j" "$jc" "$jr" "exit $(cat "$dir/jpops.rc") (10 = HANG_CONFIRMED)"
echo "ratio jpops/grep: wall $(echo "scale=2; $j / $g" | bc)x, CPU $(echo "scale=2; $jc / $gc" | bc)x over $runs runs"
if [ -n "$rg" ]; then
	echo "ratio jpops/rg: wall $(echo "scale=2; $j / $r" | bc)x, CPU $(echo "scale=2; $jc / $rc" | bc)x"
fi
