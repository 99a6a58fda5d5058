#!/usr/bin/env bash
# The audit step of action.yml, a file of its own so that a test runs it.
# Reads JPOPS_SCRIPTS (paths separated by spaces or new lines) and
# JPOPS_SARIF (a SARIF file to write, or empty); writes one ::error
# annotation per finding to stdout, and findings= (and sarif-file=) to
# $GITHUB_OUTPUT. Exits as jpops audit does: 0 clean, 10 findings, 2 a
# script the shell cannot parse.
set -uo pipefail

read -r -d '' -a scripts <<<"${JPOPS_SCRIPTS:-entrypoint.sh}" || true
if [ "${#scripts[@]}" -eq 0 ]; then
  echo "::error title=jpops audit::no boot script given: set the scripts input"
  exit 2
fi

code=0
if [ -n "${JPOPS_SARIF:-}" ]; then
  jpops audit --format sarif "${scripts[@]}" >"$JPOPS_SARIF" || code=$?
  echo "sarif-file=$JPOPS_SARIF" >>"${GITHUB_OUTPUT:-/dev/null}"
fi
annotations=$(mktemp)
jpops audit --format github "${scripts[@]}" >"$annotations"
code=$?
cat "$annotations"
echo "findings=$(grep -c "title=jpops audit%3A unguarded" "$annotations")" >>"${GITHUB_OUTPUT:-/dev/null}"
rm -f "$annotations"
exit "$code"
