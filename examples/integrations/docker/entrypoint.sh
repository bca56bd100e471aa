#!/bin/sh
# Container entrypoint: every executable script of $UNITSYNC_STARTUP_DIR runs in parallel under one
# unitsync agent (`unitsync up`), each ordered by the dependencies it declares; once all of them
# have completed, the container's command runs in its place. A failed start-up exits 1 and the
# command never runs; each script's log is in $UNITSYNC_LOG_DIR.
set -eu
startup=${UNITSYNC_STARTUP_DIR:-/etc/unitsync/startup.d}
logs=${UNITSYNC_LOG_DIR:-/var/log/unitsync}
if ! unitsync up --dir "$startup" --log-dir "$logs"; then
  echo "unitsync-entrypoint: start-up failed; the scripts' logs are in $logs" >&2
  exit 1
fi
if [ "$#" -eq 0 ]; then exit 0; fi
exec "$@"
