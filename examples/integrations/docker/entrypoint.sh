#!/bin/sh
# Container entrypoint: the start-up plan ($UNITSYNC_PLAN) runs under `unitsync up -f`, every unit
# ordered by what it declares; once all are completed, the container's command runs (`--then`),
# with `up` staying its parent. A failed start-up exits 1 and the command never runs; SIGTERM from
# `docker stop` reaches the command, then the plan's services stop, dependents first. Each unit's
# log is in $UNITSYNC_LOG_DIR.
set -eu
plan=${UNITSYNC_PLAN:-/etc/unitsync/unitsync.yaml}
logs=${UNITSYNC_LOG_DIR:-/var/log/unitsync}
if [ "$#" -eq 0 ]; then exec unitsync up -f "$plan" --log-dir "$logs"; fi
exec unitsync up -f "$plan" --log-dir "$logs" --then "$@"
