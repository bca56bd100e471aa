#!/usr/bin/env bash
# Install dependencies: needs the cloned repository. One side of the diamond
# git-clone -> {deps-install, lint-config} -> app-build.
set -euo pipefail
UNIT_NAME="deps-install"
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"

unitsync want "$UNIT_NAME" git-clone
unitsync start "$UNIT_NAME"

echo "deps-install: installing from $WORKSPACE/repo/package.json"
mkdir -p "$WORKSPACE/repo/node_modules/left-pad"
sleep 0.6
echo 'module.exports = (s, n) => String(s).padStart(n);' >"$WORKSPACE/repo/node_modules/left-pad/index.js"
echo "deps-install: 1 package installed"

unitsync complete "$UNIT_NAME"
