#!/usr/bin/env python3
"""A unitsync client in Python: declare a unit's dependencies, wait for them through the streaming
Start call (printing progress as the agent pushes it), do the unit's work, then complete it.

    ./generate.sh && PYTHONPATH=gen ./unitsync_client.py ide --after git-clone -- code-server

Exits 0 when the unit completed, 5 when a dependency failed, 4 on timeout, 3 when no agent answers.
"""
import argparse
import os
import subprocess
import sys

import grpc

from unitsync.v1 import unitsync_pb2 as pb
from unitsync.v1 import unitsync_pb2_grpc as rpc


def socket_path(flag):
    """The agent socket, resolved as the unitsync CLI does."""
    if flag:
        return os.path.abspath(flag)
    if os.environ.get("UNITSYNC_SOCKET"):
        return os.path.abspath(os.environ["UNITSYNC_SOCKET"])
    if os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(os.environ["XDG_RUNTIME_DIR"], "unitsync.sock")
    return "/tmp/unitsync-%d.sock" % os.getuid()


def wait_to_start(stub, unit, timeout):
    """Start is server-streaming: the agent pushes each dependency as it is satisfied."""
    for response in stub.Start(pb.StartRequest(unit=unit), timeout=timeout):
        event = response.WhichOneof("event")
        if event == "waiting":
            print("waiting for %s" % ", ".join(response.waiting.unmet), flush=True)
            for name in response.waiting.unregistered:
                print("  %s: no unit of that name is registered yet" % name, flush=True)
        elif event == "dependency_satisfied":
            status = pb.UnitStatus.Name(response.dependency_satisfied.status).removeprefix("UNIT_STATUS_").lower()
            print("%s %s" % (response.dependency_satisfied.name, status), flush=True)
        elif event == "started":
            print("started %s after %d ms" % (unit, response.started.waited_ms), flush=True)


def report(stub, unit, **process):
    """Tells the agent what the unit's process is doing (status, list and watch show it)."""
    try:
        stub.ReportProcess(pb.ReportProcessRequest(unit=unit, process=pb.ProcessState(attempt=1, max_attempts=1, **process)), timeout=5)
    except grpc.RpcError as error:  # an older agent: the outcome still goes through Complete/Fail
        print("unitsync_client: could not report the process: %s" % error.details(), file=sys.stderr)


def run_reported(stub, unit, command):
    """Runs the unit's work, reporting its pid while it runs and its exit status after."""
    child = subprocess.Popen(command)
    report(stub, unit, phase=pb.ProcessState.PHASE_RUNNING, pid=child.pid)
    status = child.wait()
    reason = "" if status == 0 else ("killed by signal %d" % -status if status < 0 else "exit status %d" % status)
    code = 128 - status if status < 0 else status
    report(stub, unit, phase=pb.ProcessState.PHASE_EXITED, pid=child.pid, exit_code=code, exit_reason=reason)
    return code


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="-- COMMAND...: the unit's work (default: none)")
    parser.add_argument("unit")
    parser.add_argument("--after", action="append", default=[], help="a dependency (repeat or comma-separate)")
    parser.add_argument("--socket", help="agent socket (default: as unitsync resolves it)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for dependencies")
    argv, command = sys.argv[1:], []  # everything after "--" is the unit's work
    if "--" in argv:
        argv, command = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    args = parser.parse_args(argv)
    unit = args.unit
    after = [name for value in args.after for name in value.split(",") if name]

    path = socket_path(args.socket)
    with grpc.insecure_channel("unix://" + path) as channel:
        stub = rpc.UnitSyncServiceStub(channel)
        try:
            pong = stub.Ping(pb.PingRequest(), timeout=5)
            print("agent %s (protocol %d) on %s" % (pong.version, pong.protocol, path), flush=True)
            if after:
                stub.Want(pb.WantRequest(unit=unit, depends_on=after), timeout=5)
                print("%s depends on %s" % (unit, ", ".join(after)), flush=True)
            wait_to_start(stub, unit, args.timeout)
        except grpc.RpcError as error:
            print("unitsync_client: %s: %s" % (unit, error.details()), file=sys.stderr)
            code = error.code()
            if code == grpc.StatusCode.UNAVAILABLE:
                return 3
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return 4
            return 5 if code == grpc.StatusCode.FAILED_PRECONDITION else 1

        status = run_reported(stub, unit, command) if command else 0
        if status == 0:
            stub.Complete(pb.CompleteRequest(unit=unit), timeout=5)
            print("completed %s" % unit, flush=True)
        else:
            stub.Fail(pb.FailRequest(unit=unit, reason="exit status %d" % status), timeout=5)
            print("failed %s: exit status %d" % (unit, status), flush=True)
        return status


if __name__ == "__main__":
    sys.exit(main())
