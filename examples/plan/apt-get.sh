# Stands in for `apt-get install`: like dpkg, it refuses to run while another install holds the
# frontend lock, so two installs at once fail. It records when it held the lock, for the tests.
set -eu
mkdir -p "$WORKSPACE"
lock="$WORKSPACE/dpkg-lock-frontend"
if ! mkdir "$lock" 2>/dev/null; then
  echo "E: Could not get lock $lock. It is held by another process" >&2
  exit 100
fi
echo "begin $* $(date +%s%N)" >>"$WORKSPACE/dpkg.history"
echo "installing $*"
sleep 0.4
echo "end $* $(date +%s%N)" >>"$WORKSPACE/dpkg.history"
rmdir "$lock"
echo "installed $*"
