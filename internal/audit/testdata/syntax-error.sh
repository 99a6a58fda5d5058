#!/bin/sh
DB_PATH=/data/autonomath.db
if [ -f "$DB_PATH" ]; then
  sqlite3 "$DB_PATH" 'PRAGMA quick_check;'
