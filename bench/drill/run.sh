#!/usr/bin/env bash
# Wall time of a full `jpops drill --yes` (default --speed 60, db-boot-hang),
# median of RUNS runs. The baseline is the drill's simulated work: the
# 5-minute stability hold at speed 60 alone takes 5 s of real time.
#
#   bench/drill/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
runs=${1:-5}
dir=$(workdir)
trap 'rm -rf "$dir"' EXIT
build_jpops "$dir"
export JPOPS_STATE_DIR=$dir/state
for _ in $(seq "$runs"); do
	s=$(now_ms)
	rc=0
	"$dir/jpops" drill --yes >"$dir/out" 2>&1 </dev/null || rc=$?
	echo $(($(now_ms) - s)) >>"$dir/ms"
	echo "$rc" >>"$dir/rc"
done
printf '%-30s %10s %10s %10s %8s\n' "" "median ms" "min ms" "max ms" "exits"
printf '%-30s %10s %10s %10s %8s\n' "jpops drill --yes (speed 60)" "$(median <"$dir/ms")" "$(sort -n "$dir/ms" | head -1)" "$(sort -n "$dir/ms" | tail -1)" "$(sort -u "$dir/rc" | tr '\n' ' ')"
echo "last run's tail:"
tail -3 "$dir/out"
