#!/usr/bin/env bash
# A stand-in for `apt-get install`: like dpkg it refuses to run while another one holds the
# frontend lock (flock -n), so two of them overlapping fail the way parallel apt-get runs do.
set -euo pipefail
lock="${DPKG_LOCK_FILE:-$UNITSYNC_SOCKET.dpkg-lock-frontend}"
exec 9>"$lock"
if ! flock -n 9; then
  echo "E: Could not get lock $lock. It is held by another process" >&2
  exit 100
fi
echo "${UNITSYNC_UNIT:-apt-get}: apt-get $*"
sleep 0.4
echo "${UNITSYNC_UNIT:-apt-get}: done"
