#!/usr/bin/env bash
# Install system packages while another script does the same: both take the "dpkg" lock, so they
# run one after the other instead of failing with "Could not get lock /var/lib/dpkg/lock-frontend".
set -euo pipefail

unitsync run apt-tools --lock dpkg -- bash "$(dirname "$0")/lib/fake-apt-get.sh" install git jq
