#!/usr/bin/env bash
# Binary size of jpops: default build and -trimpath -ldflags "-s -w", with
# CGO_ENABLED=0, for linux/amd64, linux/arm64 and darwin/arm64.
#
#   bench/size/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
dir=$(workdir)
trap 'rm -rf "$dir"' EXIT
printf '%-14s %14s %20s %7s\n' "target" "default MB" "-trimpath -s -w MB" "ratio"
for t in linux/amd64 linux/arm64 darwin/arm64; do
	os=${t%/*} arch=${t#*/}
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -o "$dir/d" ./cmd/jpops
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "-s -w" -o "$dir/s" ./cmd/jpops
	d=$(stat -c %s "$dir/d") s=$(stat -c %s "$dir/s")
	printf '%-14s %14.1f %20.1f %7.2f\n' "$t" "$(echo "$d/1000000" | bc -l)" "$(echo "$s/1000000" | bc -l)" "$(ratio "$s" "$d")"
done
