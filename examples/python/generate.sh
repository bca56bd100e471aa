#!/bin/sh
# Generates the Python client code for unitsync.v1 from proto/ into examples/python/gen/ (or $1),
# with grpc_tools (Debian: python3-grpc-tools). The generated code is not committed: generate it
# against the protobuf and grpcio versions you run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/gen}
python=${PYTHON:-/usr/bin/python3}
mkdir -p "$out"
"$python" -m grpc_tools.protoc -I "$here/../../proto" --python_out="$out" --grpc_python_out="$out" \
  "$here/../../proto/unitsync/v1/unitsync.proto"
echo "generated $out/unitsync/v1/unitsync_pb2.py and unitsync_pb2_grpc.py"
