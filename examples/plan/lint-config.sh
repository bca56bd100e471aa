# Checks the editor configuration; DEMO_FAILURE=1 makes it fail, to show that only its dependents stop.
set -eu
if [ -n "${DEMO_FAILURE:-}" ]; then
  echo "lint-config: .editorconfig: 3 problems" >&2
  exit 1
fi
echo "lint-config: ok"
