#!/usr/bin/env bash
# Prepare the environment (tool versions, variables): a second unit with no dependencies.
set -euo pipefail
UNIT_NAME="env-setup"
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"

unitsync start "$UNIT_NAME"

echo "env-setup: writing $WORKSPACE/env.sh"
sleep 0.3
cat >"$WORKSPACE/env.sh" <<ENV
export NODE_ENV=development
export NODE_PATH="$WORKSPACE/repo/node_modules"
ENV
echo "env-setup: environment ready"

unitsync complete "$UNIT_NAME"
