#!/usr/bin/env bash
# Build the app: the bottom of the diamond, after deps-install and lint-config. Declares its
# dependencies with the comma-separated loop from coder's documentation.
set -euo pipefail
UNIT_NAME="app-build"
DEPENDENCIES="deps-install, lint-config"
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"

# Declare all dependencies
if [ -n "$DEPENDENCIES" ]; then
  IFS=',' read -ra DEPS <<<"$DEPENDENCIES"
  for dep in "${DEPS[@]}"; do
    dep=$(echo "$dep" | xargs) # Trim whitespace
    if [ -n "$dep" ]; then
      unitsync want "$UNIT_NAME" "$dep"
    fi
  done
fi

# Wait for all dependencies
unitsync start "$UNIT_NAME"

echo "app-build: building $WORKSPACE/repo into $WORKSPACE/dist"
mkdir -p "$WORKSPACE/dist"
sleep 0.4
cat "$WORKSPACE/repo/src/main.js" 2>/dev/null >"$WORKSPACE/dist/app.js" || echo "// no sources" >"$WORKSPACE/dist/app.js"
echo "app-build: wrote $WORKSPACE/dist/app.js"

unitsync complete "$UNIT_NAME"
