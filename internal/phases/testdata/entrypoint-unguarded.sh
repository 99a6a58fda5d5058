#!/usr/bin/env bash
# entrypoint.sh: boot script of the API machine (pre-Wave-18).
#
# §1 environment, §2 volume DB authority (size-based since Wave 13),
# §3 R2 hydrate when the volume is empty, §4 structural probe
# (PRAGMA integrity_check), §5 schema_guard, §6 migrations, §7 exec uvicorn.
set -euo pipefail

DB_PATH="${AUTONOMATH_DB_PATH:-/data/autonomath.db}"
MIN_PRODUCTION_BYTES="${AUTONOMATH_DB_MIN_PRODUCTION_BYTES:-5000000000}"
R2_SNAPSHOT_URL="${R2_SNAPSHOT_URL:-}"
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
  log "computing sha256 of $DB_PATH ..."
  sha256sum "$DB_PATH" > "$DB_PATH.sha256"
  log "sha256 done"
fi

# §4 structural correctness probe (PRAGMA integrity_check on every boot)
log "running integrity_check on $DB_PATH ..."
integrity=$(sqlite3 "$DB_PATH" 'PRAGMA integrity_check;' 2>&1)
if [ "$integrity" != "ok" ]; then
  log "integrity_check failed: $integrity"
  exit 1
fi
log "ok"

# §5 schema_guard: metadata only, cheap
python3 -m app.schema_guard --db "$DB_PATH"

# §6 migrations
python3 -m app.migrate --db "$DB_PATH"

# §7 serve
log "starting uvicorn on 0.0.0.0:$PORT"
exec uvicorn app.main:app --host 0.0.0.0 --port "$PORT"
