# entrypoint.sh §4 (post-Wave-18)
integrity_threshold="${AUTONOMATH_DB_MIN_PRODUCTION_BYTES:-5000000000}"
if [ "$db_size_pre_check" -ge "$integrity_threshold" ] \
   && [ "${BOOT_ENFORCE_INTEGRITY_CHECK:-0}" != "1" ]; then
  log "size-based integrity_check skip for $DB_PATH ..."
elif trusted_stamp_match; then
  log "trusted stamp match — skipping full integrity_check"
else
  log "running integrity_check on $DB_PATH ..."
  integrity=$(sqlite3 "$DB_PATH" 'PRAGMA integrity_check;' ...)
fi
