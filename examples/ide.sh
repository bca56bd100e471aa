#!/usr/bin/env bash
# Start the IDE: it needs the cloned repository (extensions.json) and the environment (NODE_PATH),
# so it waits for both git-clone and env-setup.
set -euo pipefail
UNIT_NAME="ide"
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"

unitsync want "$UNIT_NAME" git-clone env-setup
unitsync start "$UNIT_NAME"

echo "ide: loading $WORKSPACE/env.sh and $WORKSPACE/repo/extensions.json"
# shellcheck disable=SC1091
[ -f "$WORKSPACE/env.sh" ] && source "$WORKSPACE/env.sh"
sleep 0.4
echo "ide: listening (NODE_PATH=${NODE_PATH:-unset})"
date +%s >"$WORKSPACE/ide.ready"

unitsync complete "$UNIT_NAME"
