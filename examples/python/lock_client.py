#!/usr/bin/env python3
"""Hold unitsync locks from Python while a command runs: one AcquireLocks stream is the lease.

    ./generate.sh && PYTHONPATH=gen ./lock_client.py dpkg -- apt-get install -y git

The first message says the locks are granted (or who holds them and what is queued ahead); the
locks stay held while the stream is open, and cancelling the stream releases them at once.
Exits with the command's code, 4 on timeout, 3 when no agent answers.
"""
import argparse
import os
import subprocess
import sys
import threading
import uuid

import grpc

from unitsync.v1 import unitsync_pb2 as pb
from unitsync.v1 import unitsync_pb2_grpc as rpc
from unitsync_client import socket_path


def lock_specs(text):
    """"dpkg,builds:2" -> LockSpec messages; a trailing :N is the capacity."""
    specs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, capacity = part.rpartition(":")
        if name and capacity.isdigit():
            specs.append(pb.LockSpec(name=name, capacity=int(capacity)))
        else:
            specs.append(pb.LockSpec(name=part))
    return specs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="-- COMMAND...: what runs with the locks held")
    parser.add_argument("locks", help="NAME or NAME:CAPACITY, comma-separated")
    parser.add_argument("--socket", help="agent socket (default: as unitsync resolves it)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the locks")
    argv, command = sys.argv[1:], []
    if "--" in argv:
        argv, command = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    args = parser.parse_args(argv)

    with grpc.insecure_channel("unix://" + socket_path(args.socket)) as channel:
        stub = rpc.UnitSyncServiceStub(channel)
        request = pb.AcquireLocksRequest(locks=lock_specs(args.locks), lease_id=str(uuid.uuid4()), pid=os.getpid())
        lease = stub.AcquireLocks(request)  # no deadline: a deadline would end the lease too
        timer = threading.Timer(args.timeout, lease.cancel)
        timer.start()
        try:
            for response in lease:
                if response.WhichOneof("event") == "queued":
                    for b in response.queued.blockers:
                        held = ", ".join('"%s"' % h for h in b.held_by)
                        print('waiting for lock "%s"%s (%d queued ahead)' % (b.lock, ", held by " + held if held else "", b.queued_ahead), flush=True)
                else:
                    print("granted %s after %d ms" % (", ".join(response.granted.locks), response.granted.waited_ms), flush=True)
                    break
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.CANCELLED:
                print("timeout waiting for %s" % args.locks, file=sys.stderr)
                return 4
            print("unitsync: lock %s: %s" % (args.locks, error.details()), file=sys.stderr)
            return 3 if error.code() == grpc.StatusCode.UNAVAILABLE else 1
        finally:
            timer.cancel()
        try:
            code = subprocess.call(command) if command else 0
        finally:
            lease.cancel()  # releases the locks at once
        print("released %s" % args.locks, flush=True)
        return code


if __name__ == "__main__":
    sys.exit(main())
