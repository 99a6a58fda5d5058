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

# build_jpops DIR: builds the jpops binary into DIR.
build_jpops() { go build -o "$1/jpops" ./cmd/jpops; }
