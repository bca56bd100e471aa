#!/usr/bin/env bash
# Clone the project: a unit with no dependencies that others wait for.
set -euo pipefail
UNIT_NAME="git-clone"
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE"

unitsync start "$UNIT_NAME"

echo "git-clone: cloning into $WORKSPACE/repo"
mkdir -p "$WORKSPACE/repo/src"
sleep 0.5
printf '{\n  "name": "app",\n  "dependencies": { "left-pad": "1.3.0" }\n}\n' >"$WORKSPACE/repo/package.json"
printf 'export const main = () => "hello";\n' >"$WORKSPACE/repo/src/main.js"
printf '{ "recommendations": ["dbaeumer.vscode-eslint"] }\n' >"$WORKSPACE/repo/extensions.json"
echo "git-clone: checked out $(find "$WORKSPACE/repo" -type f | wc -l | tr -d ' ') files"

unitsync complete "$UNIT_NAME"
