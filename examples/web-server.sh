#!/usr/bin/env bash
# Serve the app that app-build wrote, with Python's http.server: a service. `--ready tcp:…` makes
# the unit completed as soon as the port accepts connections — while the server keeps running —
# so smoke-test, which needs the server up, starts right then. (This demo server stops after its
# first GET so that the start-up ends; a real one keeps serving.)
set -euo pipefail
WORKSPACE="${WORKSPACE:-$(mktemp -d)}"
mkdir -p "$WORKSPACE/dist"
export WORKSPACE
# A free loopback port; smoke-test reads it back from the agent (the check is in `unitsync status`).
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PORT

echo "web-server: serving $WORKSPACE/dist on http://127.0.0.1:$PORT"
unitsync run web-server --after app-build --ready "tcp:127.0.0.1:$PORT" -- python3 -c '
import functools, http.server, os
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        super().do_GET()
        self.server.served = True
server = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), functools.partial(Handler, directory=os.environ["WORKSPACE"] + "/dist"))
server.served = False
while not server.served:
    server.handle_request()
'
echo "web-server: stopped after serving its first page"
