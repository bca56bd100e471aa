# Clones the project (here: writes a small one) into $WORKSPACE/repo.
set -eu
mkdir -p "$WORKSPACE/repo/src"
sleep 0.5
printf '{ "name": "demo-app" }\n' >"$WORKSPACE/repo/package.json"
printf 'export const main = () => "hello";\n' >"$WORKSPACE/repo/src/main.js"
echo "cloned into $WORKSPACE/repo"
