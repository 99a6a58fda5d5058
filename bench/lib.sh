# Shared helpers of the bench scripts; source it, do not run it.

# median: the median of the numbers on stdin, one a line.
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "NA"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# now_ms: wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ratio A B: A/B to two decimals.
ratio() { echo "scale=2; $1 / $2" | bc; }

# workdir: a temporary directory removed on exit, unless $1 names one.
workdir() {
	if [ -n "${1:-}" ]; then
		mkdir -p "$1"
		echo "$1"
		return
	fi
	local d
	d=$(mktemp -d)
	echo "$d"
}

# release_build OUT [PKG]: PKG (./cmd/jpops) built as the release builds
# jpops (static, no cgo, stripped), so a figure is of the binary users run:
# a cgo build links libc dynamically, and the loader's start alone is a few
# ms of a 40 ms scan.
release_build() { CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$1" "${2:-./cmd/jpops}"; }

# build_jpops DIR: DIR/jpops, built as the release builds it.
build_jpops() { release_build "$1/jpops"; }

# start_fleetsim DIR MACHINES DELAY [ARGS...]: DIR/fleetsim in the background
# (pid in $sim; one started before is stopped first), then the Fly API
# variables exported at it; sets url and token.
sim=""
start_fleetsim() {
	local d=$1 n=$2 delay=$3
	shift 3
	stop_fleetsim
	: >"$d/sim.out"
	"$d/fleetsim" -machines "$n" -delay "$delay" "$@" >"$d/sim.out" &
	sim=$!
	for _ in $(seq 600); do [ -s "$d/sim.out" ] && break; sleep 0.1; done
	read -r url token <"$d/sim.out"
	export FLY_FLAPS_BASE_URL=$url FLY_API_BASE_URL=$url FLY_API_TOKEN=$token
}

# stop_fleetsim: stops the fleetsim start_fleetsim started, if any.
stop_fleetsim() {
	if [ -n "$sim" ]; then
		kill "$sim" 2>/dev/null || true
		wait "$sim" 2>/dev/null || true
	fi
	sim=""
}
