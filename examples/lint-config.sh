#!/usr/bin/env bash
# Generate the lint configuration: needs the cloned repository. The other side of the diamond.
set -euo pipefail
UNIT_NAME="lint-config"
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"

unitsync want "$UNIT_NAME" git-clone
unitsync start "$UNIT_NAME"

echo "lint-config: writing $WORKSPACE/repo/.eslintrc.json"
mkdir -p "$WORKSPACE/repo"
sleep 0.2
echo '{ "root": true, "extends": "eslint:recommended" }' >"$WORKSPACE/repo/.eslintrc.json"
echo "lint-config: done"

unitsync complete "$UNIT_NAME"
