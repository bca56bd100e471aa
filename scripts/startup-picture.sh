#!/bin/sh
# Regenerates docs/startup.svg: the example start-up (examples/unitsync.yaml, as `make up` runs it) drawn by
# `unitsync timeline -o svg` from a real run under a private agent.
set -eu
dir=$(mktemp -d)
trap 'kill "$agent" 2>/dev/null || true; rm -rf "$dir"' EXIT
export UNITSYNC_SOCKET="$dir/agent.sock"
node bin/unitsync.cjs agent 2>"$dir/agent.log" &
agent=$!
until node bin/unitsync.cjs ping >/dev/null 2>&1; do sleep 0.1; done
mkdir -p "$dir/workspace"
WORKSPACE="$dir/workspace" node bin/unitsync.cjs up -f examples/unitsync.yaml --then sh examples/plan/smoke.sh >"$dir/up.txt" 2>&1 || cat "$dir/up.txt" >&2
mkdir -p docs
node bin/unitsync.cjs timeline -o svg >docs/startup.svg
kill "$agent"
wait "$agent" || true
echo "wrote docs/startup.svg"
