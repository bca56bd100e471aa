# What `make up` runs once start-up is complete (up --then): asks both services, then returns, and
# up stops the services, dependents first.
set -eu
dir=$(dirname "$0")
node "$dir/ask.js" db /health
node "$dir/ask.js" ide /
