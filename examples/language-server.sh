#!/usr/bin/env bash
# A language server that writes a file when it is ready (a pid file, a socket): `--ready file:PATH`
# completes the unit once the path exists. unitsync watches the directory, so the file is seen the
# moment it appears, not at the next poll.
set -euo pipefail
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"
export WORKSPACE
rm -f "$WORKSPACE/language-server.ready"

unitsync run language-server --after file-index --ready "file:$WORKSPACE/language-server.ready" -- bash -c '
  echo "language-server: loading the index"
  sleep 0.2
  echo $$ >"$WORKSPACE/language-server.ready"
  echo "language-server: ready (pid $$)"
  sleep 0.3
  echo "language-server: stopped"
'
