#!/bin/sh
# `buf breaking`: the proto in the work tree against the proto it replaces. On a branch that is
# the merge-base with main (what the branch started from); on main itself, the commit before
# (first parent: main before the last merge), since CI checks out main and comparing main with
# itself proves nothing. UNITSYNC_BREAKING_BASE=<commit> picks the base by hand. Skipped, saying
# so, only when there is no such commit or it has no proto/.
set -eu
BUF=${BUF:-node_modules/.bin/buf}

commit() { git rev-parse -q --verify "$1^{commit}" 2>/dev/null || true; }

base=${UNITSYNC_BREAKING_BASE:-}
how="UNITSYNC_BREAKING_BASE"
if [ -z "$base" ]; then
  head=$(commit HEAD)
  main=$(commit refs/heads/main)
  [ -n "$main" ] || main=$(commit refs/remotes/origin/main)
  branch=$(git branch --show-current 2>/dev/null || true)
  # On main, or on main's commit detached (as CI checks it out)?
  on_main=no
  if [ "$branch" = main ] || { [ -z "$branch" ] && [ "$head" = "$main" ]; }; then on_main=yes; fi
  if [ -z "$head" ]; then
    echo "buf breaking: skipped: no commit yet to compare the proto with"
    exit 0
  elif [ -n "$main" ] && [ "$on_main" = no ]; then
    # a branch (even one level with main: then its uncommitted changes are what is checked)
    base=$(git merge-base "$head" "$main" || true)
    how="merge-base with main"
  else
    base=$(commit HEAD^1)
    how="the commit before HEAD"
  fi
fi
if [ -z "$base" ]; then
  echo "buf breaking: skipped: no base commit to compare the proto with (no main branch history, or a shallow clone)"
  exit 0
fi
if ! git cat-file -e "$base:proto" 2>/dev/null; then
  echo "buf breaking: skipped: $(git rev-parse --short "$base") ($how) has no proto/ to compare with"
  exit 0
fi

against=$(mktemp -d)
trap 'rm -rf "$against"' EXIT
git archive "$base" proto | tar -x -C "$against"
echo "buf breaking: proto/ against $(git rev-parse --short "$base") ($how)"
"$BUF" breaking proto --against "$against/proto"
