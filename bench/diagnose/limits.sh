#!/usr/bin/env bash
# Times `jpops diagnose` against a rate-limited API: fleetsim answers 429 to
# a request that arrives while LIMIT are in flight, every request takes
# DELAY. For each fleet size, side by side in one run:
#
#   ideal        the least time the server allows a client: the machine list
#                alone (DELAY: every log read needs it), then the log reads
#                LIMIT at a time, ceil((requests - 1) / LIMIT) × DELAY, with
#                the requests the oracle made
#   ideal + RA   for the Retry-After runs, the least time of a client that
#                obeys Retry-After: it learns the limit from one 429 at the
#                earliest on its first log read, and that request comes back
#                RA later: at least DELAY + RA + DELAY, or the ideal if longer
#   oracle       jpops told the limit (--concurrency LIMIT): never turned away
#   no delay     jpops, default settings, on the same fleet with no added
#                latency and no limit: its own time (start, decoding, the
#                simulator's), which the load on the machine inflates
#   no 429       jpops, default settings, on the same server without a limit
#   429          jpops, default settings, 429 past LIMIT, no Retry-After,
#                run after run with one state directory: from the second
#                run on, jpops starts from the limit the last run learned
#                (api-limits.json), as an operator diagnosing again would
#   429 first    the same, each run with an empty state directory: jpops
#                learns the limit from the server's 429s every time
#   429 + RA     the same two with Retry-After: RA seconds
#
#   bench/diagnose/limits.sh [RUNS] [LIMIT] [DELAY] [RA] [SIZES...]
#
# With BASELINE=REV (a commit) the 429 and 429 + RA runs are also made by
# jpops built from REV, interleaved with the current build's, as "… (REV)".
#
# RUNS defaults to 1, LIMIT to 8, DELAY to 50ms, RA to 1, SIZES to 20 200 1000.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
runs=${1:-1}
limit=${2:-8}
delay=${3:-50ms}
ra=${4:-1}
shift $(($# < 4 ? $# : 4))
sizes=("${@:-20 200 1000}")
read -r -a sizes <<<"${sizes[*]}"
dir=$(workdir)
trap 'stop_fleetsim; rm -rf "$dir"' EXIT

build_jpops "$dir"
base=${BASELINE:-}
if [ -n "$base" ]; then
	mkdir "$dir/base"
	git archive "$base" | tar -x -C "$dir/base"
	(cd "$dir/base" && release_build "$dir/jpops-base")
fi
go build -o "$dir/fleetsim" ./bench/diagnose/fleetsim
delay_ms=$(echo "$delay" | sed 's/ms$//')

# start_sim MACHINES ARGS...: a fleetsim of MACHINES with this run's delay.
start_sim() {
	local n=$1
	shift
	start_fleetsim "$dir" "$n" "$delay" "$@"
	export JPOPS_STATE_DIR=$dir/state
}

# once NAME ARGS...: one diagnose; appends "ms exit machines hung unread requests 429s max_in_flight conns" to NAME.
once() {
	local name=$1 start ms rc=0 bin=$dir/jpops state=$JPOPS_STATE_DIR
	shift
	case $name in *-base) bin=$dir/jpops-base ;; esac
	case $name in *-first) state=$(mktemp -d "$dir/first.XXXXXX") ;; esac
	curl -fsS "$url/_bench/stats?reset=1" >/dev/null
	start=$(now_ms)
	JPOPS_STATE_DIR=$state "$bin" diagnose -a autonomath-api --json "$@" >"$dir/out.json" || rc=$?
	ms=$(($(now_ms) - start))
	local s
	s=$(curl -fsS "$url/_bench/stats")
	echo "$ms $rc $(jq -r '[(.machines|length), ([.evidence[]|select(.status=="hung")|.machine]|unique|length), ((.unread // [])|length)]|map(tostring)|join(" ")' "$dir/out.json") \
$(echo "$s" | jq -r '[.requests, .limited, .max_in_flight, .connections]|map(tostring)|join(" ")')" >>"$dir/$name"
}

# row LABEL FILE IDEAL: the median run of FILE.
row() {
	local label=$1 f=$2 ideal=$3 ms
	ms=$(cut -d' ' -f1 "$f" | median)
	# The run whose time is the median (or the first, for an even count).
	local line
	line=$(awk -v m="$ms" '$1 == m {print; exit}' "$f")
	[ -n "$line" ] || line=$(head -1 "$f")
	read -r _ rc machines hung unread requests limited maxin conns <<<"$line"
	printf '| %-12s | %8s | %5s | %4s | %5s | %6s | %6s | %8s | %5s | %5s | %6s |\n' \
		"$label" "$ms" "$(ratio "$ms" "$ideal")" "$rc" "$machines" "$hung" "$unread" "$requests" "$limited" "$maxin" "$conns"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start; $(nproc) cores"
echo "server: ${delay} a request; 429 past ${limit} in flight; Retry-After: ${ra} s when sent; ${runs} run(s) each, median"
for n in "${sizes[@]}"; do
	rm -f "$dir"/r-*
	start_sim "$n" -delay 0ms
	for _ in $(seq "$runs"); do once r-floor; done
	start_sim "$n"
	for _ in $(seq "$runs"); do once r-free; done
	start_sim "$n" -limit "$limit"
	for _ in $(seq "$runs"); do
		once r-oracle --concurrency "$limit"
		once r-429
		once r-429-first
		[ -z "$base" ] || once r-429-base
	done
	start_sim "$n" -limit "$limit" -retry-after "$ra"
	for _ in $(seq "$runs"); do
		once r-429ra
		once r-429ra-first
		[ -z "$base" ] || once r-429ra-base
	done
	stop_fleetsim
	requests=$(head -1 "$dir/r-oracle" | cut -d' ' -f6)
	ideal=$((delay_ms + (requests - 1 + limit - 1) / limit * delay_ms))
	ideal_ra=$((2 * delay_ms + ra * 1000))
	[ "$ideal_ra" -ge "$ideal" ] || ideal_ra=$ideal
	echo
	echo "### $n machines: ideal ${ideal} ms (${delay_ms} ms + ceil($((requests - 1)) / ${limit}) × ${delay_ms} ms), with Retry-After ${ideal_ra} ms"
	echo
	echo "| run          | wall ms  | × its ideal | exit | machines | hung | unread | requests | 429s | max in flight | conns |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	row "oracle" "$dir/r-oracle" "$ideal"
	row "no 429" "$dir/r-free" "$ideal"
	row "no delay" "$dir/r-floor" "$ideal"
	row "429" "$dir/r-429" "$ideal"
	row "429 first" "$dir/r-429-first" "$ideal"
	row "429 + RA" "$dir/r-429ra" "$ideal_ra"
	row "429 + RA first" "$dir/r-429ra-first" "$ideal_ra"
	if [ -n "$base" ]; then
		row "429 ($base)" "$dir/r-429-base" "$ideal"
		row "429 + RA ($base)" "$dir/r-429ra-base" "$ideal_ra"
	fi
done
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) at end"
