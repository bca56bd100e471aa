#!/usr/bin/env bash
# Run database migrations once the environment is set up, with unitsync's one-line wrapper:
# `run` declares the dependency, waits, runs the command, then completes the unit on exit 0 or
# fails it with the exit status (so nothing downstream waits for a migration that crashed).
set -euo pipefail
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"
export WORKSPACE

unitsync run db-migrate --after env-setup -- bash -c '
  echo "db-migrate: applying migrations to $WORKSPACE/db"
  mkdir -p "$WORKSPACE/db"
  sleep 0.3
  echo "001_init applied" >"$WORKSPACE/db/schema_migrations"
  echo "db-migrate: done (unit $UNITSYNC_UNIT)"
'
