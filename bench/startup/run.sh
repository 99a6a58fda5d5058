#!/usr/bin/env bash
# Start-up time of `jpops version` beside, in the same run:
#   - /bin/true, a process that does nothing;
#   - a cobra hello-world with one `version` subcommand (bench/startup/hello);
#   - the floor: the same hello-world made to link every package jpops links
#     (generated from `go list -deps ./cmd/jpops`), so it pays every
#     library's initialisation but does none of jpops's work;
#   - the core floor: the same without the terminal UI's libraries (the
#     packages jpops imports from charm.land and charmbracelet, and what
#     only they link): what a jpops with no TUI linked would pay at least;
#   - jpops at each REF given (git revisions), to set a change beside what
#     it changed.
# All are built as the release builds jpops (CGO_ENABLED=0, -trimpath,
# -ldflags "-s -w"). Wall time: hyperfine when installed (Debian: apt-get
# install hyperfine), else a loop. CPU time, page faults and wall time
# again (iwall): perf stat when installed, one run of each program in turn,
# RUNS rounds, so a change of load falls on all of them alike. Package initialisation: GODEBUG=inittrace=1.
# User-space instructions, which no load changes: valgrind's callgrind when
# installed (apt-get install valgrind), run with asynchronous preemption
# off, the median of the runs it finishes.
#
#   bench/startup/run.sh [RUNS] [REF...]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
runs=${1:-100}
shift || true
refs=("$@")
dir=$(workdir)
floor=$(mktemp -d "$PWD/bench/startup/.floor.XXXXXX") # inside the module, ignored by ./...
trap 'rm -rf "$dir" "$floor"' EXIT
build() { release_build "$dir/$1" "$2"; }
build jpops ./cmd/jpops
build hello ./bench/startup/hello

# A floor: hello-world's main, plus a blank import of every importable
# package the packages given link (not jpops's own, nor internal or
# vendored ones).
floorMain() {
	echo 'package main'
	echo 'import ('
	echo '	"fmt"'
	echo '	"os"'
	echo '	"github.com/spf13/cobra"'
	CGO_ENABLED=0 go list -deps -f '{{.ImportPath}}' "$@" |
		grep -v -e '^github.com/jpops-dev/' -e '/internal/' -e '/internal$' -e '^internal/' -e '^vendor/' -e '^unsafe$' -e '^C$' -e '^runtime/cgo$' -e '^main$' -e '^github.com/spf13/cobra$' -e '^fmt$' -e '^os$' |
		sed 's/.*/	_ "&"/'
	echo ')'
	echo 'func main() {'
	echo '	root := &cobra.Command{Use: "hello", SilenceUsage: true}'
	echo '	root.AddCommand(&cobra.Command{Use: "version", Run: func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "hello dev") }})'
	echo '	if root.Execute() != nil {'
	echo '		os.Exit(1)'
	echo '	}'
	echo '}'
}
floorMain ./cmd/jpops >"$floor/main.go"
build floor "./bench/startup/$(basename "$floor")"
# The core floor: the packages jpops's own import, but the terminal UI's.
core=$(CGO_ENABLED=0 go list -deps -f '{{.ImportPath}} {{join .Imports " "}}' ./cmd/jpops |
	awk '$1 ~ /^github.com\/jpops-dev\// {for (i = 2; i <= NF; i++) print $i}' |
	grep -v -e '^github.com/jpops-dev/' -e '^charm.land/' -e '^github.com/charmbracelet/' | sort -u)
# shellcheck disable=SC2086 # one package a word
floorMain $core >"$floor/main.go"
build floor-core "./bench/startup/$(basename "$floor")"

names=("/bin/true (nothing)" "cobra hello-world (baseline)" "hello-world + non-TUI libraries (core floor)" "hello-world + jpops's libraries (floor)")
cmds=("/bin/true" "$dir/hello version" "$dir/floor-core version" "$dir/floor version")
for i in "${!refs[@]}"; do
	src="$dir/ref$i"
	mkdir -p "$src"
	git archive "${refs[$i]}" | tar -x -C "$src"
	(cd "$src" && release_build "$dir/jpops-ref$i")
	names+=("jpops version at ${refs[$i]}")
	cmds+=("$dir/jpops-ref$i version")
done
names+=("jpops version (this tree)")
cmds+=("$dir/jpops version")

export JPOPS_STATE_DIR=$dir/state
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Wall time, median of RUNS.
declare -A wall
if command -v hyperfine >/dev/null; then
	hyperfine -N -w 10 -r "$runs" --export-json "$dir/h.json" "${cmds[@]}" >/dev/null 2>&1
	while IFS=$'\t' read -r c m; do wall[$c]=$m; done < <(python3 -c 'import json,sys
for x in json.load(open(sys.argv[1]))["results"]:
    print(x["command"], round(x["median"]*1000, 2), sep="\t")' "$dir/h.json")
	how="hyperfine -N, $runs runs, 10 warm-up"
else
	for c in "${cmds[@]}"; do
		wall[$c]=$(for _ in $(seq "$runs"); do
			s=$(date +%s%N)
			$c >/dev/null
			echo "scale=3; ($(date +%s%N) - $s) / 1000000" | bc
		done | median)
	done
	how="shell loop, $runs runs (includes fork/exec of the loop)"
fi

# CPU time (task-clock), page faults and wall time (duration_time),
# medians of RUNS rounds taken in turn: one run of each program, then the
# next round, so a change of load falls on all of them alike (hyperfine
# runs all of one program, then the next).
declare -A cpu pf iwall
if command -v perf >/dev/null && perf stat -x, -e task-clock true >/dev/null 2>&1; then
	for _ in $(seq "$runs"); do
		for c in "${cmds[@]}"; do
			perf stat -x, -e duration_time,task-clock,page-faults $c 2>&1 >/dev/null |
				awk -F, -v c="$c" '$3 == "task-clock" {t = $1} $3 == "page-faults" {p = $1} $3 == "duration_time" {w = $1 / 1e6} END {print c "\t" t "\t" p "\t" w}'
		done
	done >"$dir/perf.tsv"
	for c in "${cmds[@]}"; do
		cpu[$c]=$(awk -F'\t' -v c="$c" '$1 == c {print $2}' "$dir/perf.tsv" | median)
		pf[$c]=$(awk -F'\t' -v c="$c" '$1 == c {print $3}' "$dir/perf.tsv" | median)
		iwall[$c]=$(awk -F'\t' -v c="$c" '$1 == c && $4 != "" {printf "%.2f\n", $4}' "$dir/perf.tsv" | median)
	done
fi

# Package initialisation: inits, bytes and allocations (these do not
# depend on the load) and the median of the summed init clock.
inits() {
	local c=$1
	[ "$c" = /bin/true ] && { echo "- - - -"; return; }
	for _ in $(seq 21); do
		GODEBUG=inittrace=1 $c 2>&1 >/dev/null | awk '$1 == "init" {n++; ms += $5; b += $8; a += $10} END {printf "%.2f %d %d %d\n", ms, n, b, a}'
	done | sort -g | sed -n 11p
}

instructions() {
	local c=$1
	if ! command -v valgrind >/dev/null || [ "$c" = /bin/true ]; then
		echo NA
		return
	fi
	for _ in $(seq 15); do
		# Without asynchronous preemption: callgrind's signal handling
		# crashed on most runs of a Go program with it.
		GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" $c 2>&1 >/dev/null | awk '/Collected :/ {printf "%.2f\n", $4 / 1e6}' || true
	done | median
}

printf '%-42s %9s %9s %8s %7s %8s %6s %9s %7s %7s\n' "program" "wall ms" "iwall ms" "CPU ms" "faults" "Minstr" "inits" "init ms" "init KB" "allocs"
declare -A ins
for i in "${!cmds[@]}"; do
	c=${cmds[$i]}
	ins[$c]=$(instructions "$c")
	read -r ims n b a <<<"$(inits "$c")"
	kb=$b
	[ "$b" != - ] && kb=$((b / 1024))
	printf '%-42s %9s %9s %8s %7s %8s %6s %9s %7s %7s\n' "${names[$i]}" "${wall[$c]}" "${iwall[$c]:-NA}" "${cpu[$c]:-NA}" "${pf[$c]:-NA}" "${ins[$c]}" "$n" "$ims" "$kb" "$a"
done
j="$dir/jpops version"
h="$dir/hello version"
f="$dir/floor version"
echo "jpops / hello-world: wall $(ratio "${wall[$j]}" "${wall[$h]}")x ($how)"
if [ -n "${cpu[$j]:-}" ]; then
	echo "jpops / hello-world CPU: $(ratio "${cpu[$j]}" "${cpu[$h]}")x; jpops / floor CPU: $(ratio "${cpu[$j]}" "${cpu[$f]}")x (perf stat, $runs rounds)"
	echo "floor / hello-world CPU: $(ratio "${cpu[$f]}" "${cpu[$h]}")x; core floor / hello-world CPU: $(ratio "${cpu[$dir/floor-core version]}" "${cpu[$h]}")x"
	[ -n "${iwall[$j]:-}" ] && echo "jpops / hello-world wall, interleaved (iwall): $(ratio "${iwall[$j]}" "${iwall[$h]}")x (perf stat duration_time, $runs rounds)"
fi
if [ "${ins[$j]}" != NA ] && [ "${ins[$h]}" != NA ]; then
	echo "jpops / hello-world user-space instructions: $(ratio "${ins[$j]}" "${ins[$h]}")x; jpops / floor: $(ratio "${ins[$j]}" "${ins[$f]}")x (callgrind)"
fi
ls -l "$dir"/hello "$dir"/floor "$dir"/floor-core "$dir"/jpops* | awk '{printf "%s: %.1f MB\n", $NF, $5/1e6}' | sed "s|$dir/||"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
