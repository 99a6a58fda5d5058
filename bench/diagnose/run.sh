#!/usr/bin/env bash
# Times `jpops diagnose` against a simulated fleet of MACHINES machines with
# DELAY of added latency on every Fly API request: parallel log fetches (the
# default concurrency) against serial ones (--concurrency 1), same run.
#
#   bench/diagnose/run.sh [RUNS] [MACHINES] [DELAY]
#
# RUNS defaults to 3, MACHINES to 200, DELAY to 50ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
runs=${1:-3}
machines=${2:-200}
delay=${3:-50ms}
dir=$(workdir)
trap 'stop_fleetsim; rm -rf "$dir"' EXIT

build_jpops "$dir"
go build -o "$dir/fleetsim" ./bench/diagnose/fleetsim
start_fleetsim "$dir" "$machines" "$delay"
export JPOPS_STATE_DIR=$dir/state

# once NAME ARGS...: one diagnose, its milliseconds appended to NAME.ms.
once() {
	local name=$1 start rc=0
	shift
	start=$(now_ms)
	"$dir/jpops" diagnose -a autonomath-api --json "$@" >"$dir/$name.json" || rc=$?
	echo $(($(now_ms) - start)) >>"$dir/$name.ms"
	echo "$rc" >"$dir/$name.rc"
}
for _ in $(seq "$runs"); do
	once serial --concurrency 1
	once parallel
done
s=$(median <"$dir/serial.ms")
p=$(median <"$dir/parallel.ms")
printf '%-34s %10s %6s\n' "diagnose, $machines machines, +$delay" "median ms" "exit"
printf '%-34s %10s %6s\n' "--concurrency 1 (baseline)" "$s" "$(cat "$dir/serial.rc")"
printf '%-34s %10s %6s\n' "default concurrency (16)" "$p" "$(cat "$dir/parallel.rc")"
echo "speed-up serial/parallel: $(ratio "$s" "$p")x over $runs runs"
