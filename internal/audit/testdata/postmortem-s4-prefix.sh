# entrypoint.sh §4 (pre-Wave-18): a structural correctness probe at every boot.
log "running integrity_check on $DB_PATH ..."
integrity=$(sqlite3 "$DB_PATH" 'PRAGMA integrity_check;' 2>&1)
