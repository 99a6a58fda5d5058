#!/usr/bin/env bash
# entrypoint.sh: boot script of the API machine (post-Wave-18).
#
# §1 environment, §2 volume DB authority (size-based since Wave 13),
# §3 R2 hydrate when the volume is empty, §4 structural probe, size-gated
# like §2 since Wave 18 (BOOT_ENFORCE_INTEGRITY_CHECK=1 restores the full
# PRAGMA integrity_check for DR drills), §5 schema_guard, §6 migrations,
# §7 exec uvicorn.
set -euo pipefail

DB_PATH="${AUTONOMATH_DB_PATH:-/data/autonomath.db}"
MIN_PRODUCTION_BYTES="${AUTONOMATH_DB_MIN_PRODUCTION_BYTES:-5000000000}"
R2_SNAPSHOT_URL="${R2_SNAPSHOT_URL:-}"
STAMP_PATH="${DB_PATH}.trusted-stamp"
PORT="${PORT:-8080}"

log() {
  printf '%s entrypoint: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# §1 environment
log "boot on ${FLY_MACHINE_ID:-local} in ${FLY_REGION:-local}"
mkdir -p "$(dirname "$DB_PATH")"

db_size() {
  stat -c %s "$1" 2>/dev/null || echo 0
}

# A stamp written after the last full check: same size and mtime means the
# file has not changed since, so the check need not run again.
trusted_stamp_match() {
  [ -f "$STAMP_PATH" ] || return 1
  [ "$(cat "$STAMP_PATH")" = "$(stat -c '%s %Y' "$DB_PATH")" ]
}

hydrate_from_r2() {
  if [ -z "$R2_SNAPSHOT_URL" ]; then
    log "no R2_SNAPSHOT_URL; cannot hydrate $DB_PATH"
    return 1
  fi
  log "hydrating $DB_PATH from R2 ..."
  curl -fsSL "$R2_SNAPSHOT_URL" -o "$DB_PATH.partial"
  mv "$DB_PATH.partial" "$DB_PATH"
}

# §2 volume DB authority (Wave 13: size-based, no SHA256 of a multi-GB file)
db_size_pre_check=$(db_size "$DB_PATH")
if [ "$db_size_pre_check" -ge "$MIN_PRODUCTION_BYTES" ]; then
  log "size-based authoritative: $DB_PATH (size=$db_size_pre_check >= threshold=$MIN_PRODUCTION_BYTES)"
else
  # §3 the volume is empty or a dev fixture: hydrate, then verify the download.
  hydrate_from_r2
  db_size_pre_check=$(db_size "$DB_PATH")
  log "computing sha256 of $DB_PATH ..."
  sha256sum "$DB_PATH" > "$DB_PATH.sha256"
  log "sha256 done"
fi

# §4 (post-Wave-18)
integrity_threshold="${AUTONOMATH_DB_MIN_PRODUCTION_BYTES:-5000000000}"
if [ "$db_size_pre_check" -ge "$integrity_threshold" ] \
   && [ "${BOOT_ENFORCE_INTEGRITY_CHECK:-0}" != "1" ]; then
  log "size-based integrity_check skip for $DB_PATH (size=$db_size_pre_check >= threshold=$integrity_threshold)"
elif trusted_stamp_match; then
  log "trusted stamp match — skipping full integrity_check"
else
  log "running integrity_check on $DB_PATH ..."
  integrity=$(sqlite3 "$DB_PATH" 'PRAGMA integrity_check;' 2>&1)
  if [ "$integrity" != "ok" ]; then
    log "integrity_check failed: $integrity"
    exit 1
  fi
  log "ok"
  stat -c '%s %Y' "$DB_PATH" > "$STAMP_PATH"
fi

# §5 schema_guard: metadata only, cheap
python3 -m app.schema_guard --db "$DB_PATH"

# §6 migrations
python3 -m app.migrate --db "$DB_PATH"

# §7 serve
log "starting uvicorn on 0.0.0.0:$PORT"
exec uvicorn app.main:app --host 0.0.0.0 --port "$PORT"
