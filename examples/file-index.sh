#!/usr/bin/env bash
# Index the cloned repository for search: a service that says when it is ready in its log.
# `--ready log:REGEX` completes the unit when a line of its output matches — the output itself
# passes through unchanged — while the indexer goes on watching for changes.
set -euo pipefail
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"
export WORKSPACE

unitsync run file-index --after git-clone --ready 'log:^file-index: initial scan complete' -- bash -c '
  echo "file-index: scanning $WORKSPACE/repo"
  sleep 0.2
  echo "file-index: initial scan complete ($(find "$WORKSPACE" -type f 2>/dev/null | wc -l | tr -d " ") files)"
  sleep 0.5 # watching for changes (a real indexer keeps running)
  echo "file-index: stopped watching"
'
