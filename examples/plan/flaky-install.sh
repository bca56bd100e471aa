# Installs the project's dependencies; the first attempt fails as a flaky registry would.
set -eu
attempts="$WORKSPACE/deps-install.attempts"
echo x >>"$attempts"
if [ "$(wc -l <"$attempts")" -eq 1 ]; then
  echo "npm ERR! network: socket hang up" >&2
  exit 1
fi
mkdir -p "$WORKSPACE/repo/node_modules"
echo "dependencies installed on attempt $(wc -l <"$attempts" | tr -d ' ')"
