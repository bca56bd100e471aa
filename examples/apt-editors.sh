#!/usr/bin/env bash
# The other apt script: no ordering edge with apt-tools (neither needs the other), only the
# "dpkg" lock, granted first come first served.
set -euo pipefail

unitsync run apt-editors --lock dpkg -- bash "$(dirname "$0")/lib/fake-apt-get.sh" install vim
