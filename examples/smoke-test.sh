#!/usr/bin/env bash
# Check the running web server: needs web-server *ready* (its port accepts), not finished — the
# server is still running when this starts. The port comes from the agent: web-server's readiness
# check, as `unitsync status -o json` shows it.
set -euo pipefail

unitsync run smoke-test --after web-server -- bash -c '
  check=$(unitsync status web-server -o json | python3 -c "import json, sys; print(json.load(sys.stdin)[\"process\"][\"checks\"][0][\"check\"])")
  url="http://127.0.0.1:${check##*:}/"
  echo "smoke-test: GET $url"
  python3 -c "import sys, urllib.request; r = urllib.request.urlopen(sys.argv[1], timeout=10); print(\"smoke-test: HTTP\", r.status, len(r.read()), \"bytes\")" "$url"
'
