#!/usr/bin/env bash
# Times `jpops scan` against `grep -c integrity_check` on the same generated
# flyctl text log, side by side.
#
#   bench/scan/run.sh [DIR] [RUNS] [LINES]
#
# DIR holds the log and the binary (a new temporary directory by default,
# removed afterwards); RUNS defaults to 5, LINES to 1000000 (~150 MB).
set -euo pipefail

cd "$(dirname "$0")/../.."
dir=${1:-}
runs=${2:-5}
lines=${3:-1000000}
if [ -z "$dir" ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
log="$dir/app.log"
now=2026-05-11T12:15:00Z

echo "generating $lines lines into $log"
go run ./bench/scan/gen -n "$lines" -o "$log"
go build -o "$dir/jpops" ./cmd/jpops
ls -l "$log" | awk '{printf "log size: %.1f MB\n", $5/1e6}'
cat "$log" >/dev/null # warm the page cache for both

timer=""
if [ -x /usr/bin/time ]; then
	timer="/usr/bin/time -f %e:%M -o $dir/time.out"
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
	local rss=NA
	[ -n "$timer" ] && rss=$(cut -d: -f2 "$dir/time.out" | tail -1)
	echo "$(echo "$end - $start" | bc) $rss" >>"$dir/$name.times"
	echo "$rc" >"$dir/$name.rc"
}

rm -f "$dir"/*.times
for _ in $(seq "$runs"); do
	measure grep grep -c integrity_check "$log"
	measure jpops "$dir/jpops" scan "$log" --json --now "$now"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
g=$(cut -d' ' -f1 "$dir/grep.times" | median)
j=$(cut -d' ' -f1 "$dir/jpops.times" | median)
gr=$(cut -d' ' -f2 "$dir/grep.times" | sort -n | tail -1)
jr=$(cut -d' ' -f2 "$dir/jpops.times" | sort -n | tail -1)
echo "grep -c integrity_check: median ${g}s, peak RSS ${gr} KB, count $(cat "$dir/grep.out")"
echo "jpops scan:              median ${j}s, peak RSS ${jr} KB, exit $(cat "$dir/jpops.rc") (10 = HANG_CONFIRMED)"
echo "ratio jpops/grep: $(echo "scale=2; $j / $g" | bc)"
