#!/usr/bin/env bash
# Runs every measurement of docs/performance.md and prints its tables.
#
#   bench/all.sh
set -uo pipefail
cd "$(dirname "$0")/.."
echo "== machine"
echo "nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1e6}' /proc/meminfo); $(go version | cut -d' ' -f3); load $(cut -d' ' -f1-3 /proc/loadavg)"
for b in scan diagnose startup size drill watch; do
	echo
	echo "== $b"
	"bench/$b/run.sh" || echo "bench/$b/run.sh failed (exit $?)"
	if [ "$b" = diagnose ]; then
		echo
		echo "== diagnose under a rate-limited API"
		bench/diagnose/limits.sh || echo "bench/diagnose/limits.sh failed (exit $?)"
	fi
	if [ "$b" = watch ]; then
		echo
		echo "== watch --once against a wedged fleet"
		bench/watch/fleet.sh || echo "bench/watch/fleet.sh failed (exit $?)"
	fi
	if [ "$b" = scan ]; then
		echo
		echo "== scan (flyctl logs --json)"
		bench/scan/run.sh "" 5 "" json || echo "bench/scan/run.sh json failed (exit $?)"
		echo
		echo "== scan (the same entries as NDJSON)"
		bench/scan/run.sh "" 5 "" ndjson || echo "bench/scan/run.sh ndjson failed (exit $?)"
	fi
done
echo
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
