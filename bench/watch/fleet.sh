#!/usr/bin/env bash
# One `jpops watch --once` round against a wedged fleet of 20, 200 and 1,000
# machines (fleetsim: the simulator grown, every machine wedged, DELAY added
# to every Fly API request): wall time, CPU, requests, pages and machines
# named in the page, median of RUNS. The first round reads the app's logs
# back to the oldest wedged machine's last start, one page after another.
#
#   bench/watch/fleet.sh [RUNS] [DELAY] [SIZES...]
#
# RUNS defaults to 3, DELAY to 0ms (the simulator and jpops alone), SIZES to
# 20 200 1000.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
runs=${1:-3}
delay=${2:-0ms}
shift $(($# < 2 ? $# : 2))
sizes=("${@:-20 200 1000}")
read -r -a sizes <<<"${sizes[*]}"
dir=$(workdir)
trap 'stop_fleetsim; rm -rf "$dir"' EXIT

build_jpops "$dir"
go build -o "$dir/fleetsim" ./bench/diagnose/fleetsim

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start; $(nproc) cores"
echo "server: +${delay} a request; ${runs} run(s) each, median"
echo
echo "| machines | wall ms | CPU s | exit | requests | pages | machines named |"
echo "|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
	start_fleetsim "$dir" "$n" "$delay"
	rm -f "$dir/r"
	for _ in $(seq "$runs"); do
		export JPOPS_STATE_DIR=$dir/state
		rm -rf "$JPOPS_STATE_DIR" # a first round: nothing paged yet
		curl -fsS "$url/_bench/stats?reset=1" >/dev/null
		rc=0
		start=$(now_ms)
		/usr/bin/time -f "%U %S" -o "$dir/time" "$dir/jpops" watch --once -a autonomath-api --json >"$dir/out.ndjson" 2>"$dir/err" || rc=$?
		ms=$(($(now_ms) - start))
		read -r user sys < <(tail -1 "$dir/time")
		pages=$(grep -c '"kind"' "$dir/out.ndjson" || true)
		named=$(head -1 "$dir/out.ndjson" | jq -r "[.wedged[].machine] | unique | length" 2>/dev/null || echo "?")
		reqs=$(curl -fsS "$url/_bench/stats" | jq -r .requests)
		echo "$ms $(echo "$user + $sys" | bc) $rc $reqs $pages $named" >>"$dir/r"
	done
	ms=$(cut -d' ' -f1 "$dir/r" | median)
	line=$(awk -v m="$ms" '$1 == m {print; exit}' "$dir/r")
	[ -n "$line" ] || line=$(head -1 "$dir/r")
	read -r _ cpu rc reqs pages named <<<"$line"
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$ms" "$cpu" "$rc" "$reqs" "$pages" "$named"
done
stop_fleetsim
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) at end"
