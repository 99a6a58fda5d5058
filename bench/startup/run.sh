#!/usr/bin/env bash
# Start-up time of `jpops version` against `/bin/true` (a process that does
# nothing), same run: hyperfine when installed, else a loop of RUNS runs.
#
#   bench/startup/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
runs=${1:-50}
dir=$(workdir)
trap 'rm -rf "$dir"' EXIT
build_jpops "$dir"
export JPOPS_STATE_DIR=$dir/state

if command -v hyperfine >/dev/null; then
	hyperfine -N -w 5 -r "$runs" --export-json "$dir/h.json" /bin/true "$dir/jpops version" >/dev/null 2>&1
	# median of each command, in ms
	read -r t j < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(*[round(x["median"]*1000,2) for x in r])' "$dir/h.json")
	how="hyperfine, $runs runs"
else
	loop() {
		for _ in $(seq "$runs"); do
			s=$(date +%s%N)
			"$@" >/dev/null
			echo "scale=3; ($(date +%s%N) - $s) / 1000000" | bc
		done | median
	}
	t=$(loop /bin/true)
	j=$(loop "$dir/jpops" version)
	how="shell loop, $runs runs (includes fork/exec of the loop)"
fi
printf '%-26s %10s\n' "command" "median ms"
printf '%-26s %10s\n' "/bin/true (baseline)" "$t"
printf '%-26s %10s\n' "jpops version" "$j"
echo "jpops - baseline: $(echo "$j - $t" | bc) ms; ratio $(ratio "$j" "$t")x ($how)"
