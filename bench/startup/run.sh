#!/usr/bin/env bash
# Start-up time of `jpops version` against a cobra hello-world
# (bench/startup/hello) built the same way in the same run, as the release
# builds jpops (CGO_ENABLED=0, -trimpath, -ldflags "-s -w"), with /bin/true
# (a process that does nothing) as the floor: hyperfine when installed
# (Debian: apt-get install hyperfine), else a loop of RUNS runs. It prints
# median wall time, mean user and system CPU, and page faults of one run.
#
#   bench/startup/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
runs=${1:-100}
dir=$(workdir)
trap 'rm -rf "$dir"' EXIT
build() { CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/$1" "$2"; }
build jpops ./cmd/jpops
build hello ./bench/startup/hello
export JPOPS_STATE_DIR=$dir/state
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

faults() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %R "$@" 2>&1 >/dev/null | tail -1
	else
		echo NA
	fi
}

if command -v hyperfine >/dev/null; then
	hyperfine -N -w 10 -r "$runs" --export-json "$dir/h.json" /bin/true "$dir/hello version" "$dir/jpops version" >/dev/null 2>&1
	# median wall, mean user and system CPU of each command, in ms
	mapfile -t rows < <(python3 -c 'import json,sys
for x in json.load(open(sys.argv[1]))["results"]:
    print(*[round(v*1000,2) for v in (x["median"], x["user"], x["system"])])' "$dir/h.json")
	how="hyperfine -N, $runs runs, 10 warm-up"
else
	loop() {
		for _ in $(seq "$runs"); do
			s=$(date +%s%N)
			"$@" >/dev/null
			echo "scale=3; ($(date +%s%N) - $s) / 1000000" | bc
		done | median
	}
	rows=("$(loop /bin/true) NA NA" "$(loop "$dir/hello" version) NA NA" "$(loop "$dir/jpops" version) NA NA")
	how="shell loop, $runs runs (includes fork/exec of the loop)"
fi
read -r t _ _ <<<"${rows[0]}"
read -r h hu hs <<<"${rows[1]}"
read -r j ju js <<<"${rows[2]}"
printf '%-30s %10s %8s %8s %12s\n' "command" "median ms" "user ms" "sys ms" "page faults"
printf '%-30s %10s %8s %8s %12s\n' "/bin/true (floor)" "$t" "" "" "$(faults /bin/true)"
printf '%-30s %10s %8s %8s %12s\n' "cobra hello-world (baseline)" "$h" "$hu" "$hs" "$(faults "$dir/hello" version)"
printf '%-30s %10s %8s %8s %12s\n' "jpops version" "$j" "$ju" "$js" "$(faults "$dir/jpops" version)"
echo "jpops / hello-world: wall $(ratio "$j" "$h")x; above the floor: $(ratio "$(echo "$j - $t" | bc)" "$(echo "$h - $t" | bc)")x ($how)"
if [ "$hu" != NA ]; then
	echo "jpops / hello-world CPU (user+sys): $(ratio "$(echo "$ju + $js" | bc)" "$(echo "$hu + $hs" | bc)")x"
fi
ls -l "$dir/hello" "$dir/jpops" | awk '{printf "%s: %.1f MB\n", $NF, $5/1e6}' | sed "s|$dir/||"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
