#!/bin/sh
# Builds dist/sea/unitsync from the bundles: a copy of this node with the launcher injected and
# its bundles (dist/unitsync.cjs, and the side bundles dist/unitsync-agent.cjs and dist/unitsync-plan.cjs) as
# assets, so it runs on a machine with no Node.js. Needs Node >= 20.12.
set -eu
cd "$(dirname "$0")/.."
for f in dist/unitsync.cjs dist/unitsync-agent.cjs dist/unitsync-plan.cjs; do
  test -f "$f" || { echo "build-sea: $f is missing; run 'make build' first" >&2; exit 1; }
done
mkdir -p dist/sea
rm -f dist/sea/unitsync dist/sea/unitsync.tmp
# The executable's entry point: the launcher, which runs both bundles from its assets through the
# per-user code cache.
printf 'require("./src/launcher.ts").launchSea();\n' | node_modules/.bin/esbuild --bundle --platform=node --format=cjs \
  --target=node20 --log-level=warning --sourcefile=sea-main.ts --outfile=dist/sea-main.cjs
node --experimental-sea-config sea-config.json
cp "$(node -p process.execPath)" dist/sea/unitsync.tmp
chmod u+w dist/sea/unitsync.tmp
# Debug symbols are ~13 MB of the node binary and nothing a user runs needs them.
if command -v strip >/dev/null 2>&1; then strip dist/sea/unitsync.tmp; fi
if ! node_modules/.bin/postject dist/sea/unitsync.tmp NODE_SEA_BLOB dist/sea/unitsync.blob \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 >dist/sea/postject.log 2>&1; then
  cat dist/sea/postject.log >&2
  exit 1
fi
mv dist/sea/unitsync.tmp dist/sea/unitsync
echo "built dist/sea/unitsync ($(du -h dist/sea/unitsync | cut -f1))"
