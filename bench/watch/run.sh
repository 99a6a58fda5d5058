#!/usr/bin/env bash
# The watchdog: idle CPU of `jpops watch` against a healthy simulated app
# over SECONDS, and the delay from its start to its first alert on
# db-boot-hang (whose wedge is already 38 minutes old), median of RUNS.
#
#   bench/watch/run.sh [SECONDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
secs=${1:-30}
runs=${2:-3}
dir=$(workdir)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
build_jpops "$dir"
if ! "$dir/jpops" watch --help >/dev/null 2>&1; then
	echo "TODO: jpops watch does not exist yet; nothing measured"
	exit 0
fi
export JPOPS_STATE_DIR=$dir/state

# sim SCENARIO: starts the simulator, sets url and token.
sim() {
	"$dir/jpops" sim serve --scenario "$1" --token bench-token >"$dir/sim-$1.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do grep -q '^base URL:' "$dir/sim-$1.out" 2>/dev/null && break; sleep 0.1; done
	url=$(awk '/^base URL:/ {print $3}' "$dir/sim-$1.out")
	export FLY_FLAPS_BASE_URL=$url FLY_API_BASE_URL=$url FLY_API_TOKEN=bench-token
}

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

sim healthy
"$dir/jpops" watch -a autonomath-api >"$dir/idle.out" 2>&1 &
w=$!
pids+=("$w")
sleep 1 # past start-up, which is not idle
t0=$(cpu_ticks "$w")
sleep "$secs"
t1=$(cpu_ticks "$w")
kill "$w"
idle=$(echo "scale=3; ($t1 - $t0) / $hz" | bc)

sim db-boot-hang
for _ in $(seq "$runs"); do
	rm -rf "$JPOPS_STATE_DIR" # no open alerts carried over
	s=$(now_ms)
	"$dir/jpops" watch -a autonomath-api --json >"$dir/hang.out" 2>"$dir/hang.err" &
	w=$!
	pids+=("$w")
	for _ in $(seq 3000); do grep -q '"kind":"hang"' "$dir/hang.out" && break; sleep 0.01; done
	echo $(($(now_ms) - s)) >>"$dir/delay.ms"
	kill "$w"
	wait "$w" 2>/dev/null || true
done
printf '%-44s %12s\n' "measure" "value"
printf '%-44s %12s\n' "idle CPU over ${secs}s, healthy app (CPU s)" "$idle"
printf '%-44s %12s\n' "idle CPU share" "$(echo "scale=4; 100 * $idle / $secs" | bc)%"
printf '%-44s %12s\n' "start to first alert, db-boot-hang (ms)" "$(median <"$dir/delay.ms")"
echo "first alert: $(grep -m1 '"kind":"hang"' "$dir/hang.out" | head -c 160)…"
