// The lock handlers: AcquireLocks (the stream is the lease) and ListLocks, over the lock table.
import { create } from "@bufbuild/protobuf";
import { timelineWithLocks } from "../core/lock-timeline.js";
import type { LeaseView, LockTable } from "../core/locks.js";
import type { Timeline } from "../core/timeline.js";
import {
  type AcquireLocksRequest,
  type AcquireLocksResponse,
  AcquireLocksResponseSchema,
  LockLeaseSchema,
  type LockLease,
  type GetTimelineResponse,
  type ListLocksResponse,
  type Unit,
  UnitSyncService,
} from "../../gen/unitsync/v1/unitsync_pb.js";
import type { ServiceHandlers } from "../rpc/service.js";
import { timelineToProto } from "./convert.js";
import { type AgentContext, serverStream, unary } from "./agent-calls.js";
import { timestampFromMs } from "../rpc/timestamps.js";

type Handlers = ServiceHandlers<typeof UnitSyncService>;

export function leaseToProto(lease: LeaseView): LockLease {
  return create(LockLeaseSchema, {
    leaseId: lease.leaseId,
    holder: lease.holder,
    unit: lease.unit,
    pid: lease.pid,
    requestedAt: timestampFromMs(lease.requestedAt),
    ...(lease.grantedAt !== undefined ? { grantedAt: timestampFromMs(lease.grantedAt) } : {}),
    reserved: lease.reserved,
    locks: lease.locks,
  });
}

/** Adds the locks the unit's leases hold and wait for. */
export function withLocks(locks: LockTable, unit: Unit): Unit {
  const { held, waiting } = locks.locksOf(unit.name);
  unit.locksHeld = held;
  unit.locksWaiting = waiting;
  return unit;
}

/** The timeline with each unit's last lease and a critical chain that follows lock waits. */
export function lockTimeline(ctx: AgentContext, base: Timeline): GetTimelineResponse {
  const records = ctx.locks.unitRecords();
  const timeline = records.size === 0 ? base : timelineWithLocks(base, ctx.registry.graphView().edges, records);
  const response = timelineToProto(timeline, ctx.registry.events(), ctx.registry.counts().droppedEvents, (unit) => ctx.processes.get(unit));
  for (const entry of response.entries) {
    const record = records.get(entry.unit);
    if (!record) continue;
    entry.locks = [...record.locks];
    entry.lockRequestedAt = timestampFromMs(record.requestedAt);
    if (record.grantedAt !== undefined) entry.lockGrantedAt = timestampFromMs(record.grantedAt);
    if (record.releasedAt !== undefined) entry.lockReleasedAt = timestampFromMs(record.releasedAt);
    if (record.waitedFor) entry.lockWaitedFor = record.waitedFor.holder;
  }
  return response;
}

export function createLockHandlers(ctx: AgentContext): Pick<Handlers, "acquireLocks" | "listLocks"> {
  const message = (event: AcquireLocksResponse["event"]) => create(AcquireLocksResponseSchema, { event });
  return {
    acquireLocks: serverStream<AcquireLocksRequest, AcquireLocksResponse>(ctx, async (request, signal, send, owner) => {
      const lease = {
        leaseId: request.leaseId,
        locks: request.locks.map((l) => ({ name: l.name, capacity: l.capacity })),
        unit: request.unit,
        owner,
        pid: request.pid,
      };
      const grant = await ctx.locks.acquire(lease, signal, (blockers) =>
        send(
          message({
            case: "queued",
            value: {
              $typeName: "unitsync.v1.LockQueued",
              blockers: blockers.map((b) => ({ $typeName: "unitsync.v1.LockBlocker", ...b })),
            },
          }),
        ),
      );
      send(
        message({
          case: "granted",
          value: { $typeName: "unitsync.v1.LockGranted", locks: grant.locks, waitedMs: BigInt(grant.waitedMs), reclaimed: grant.reclaimed },
        }),
      );
      // Held while the stream is open; the table releases the lease when the signal aborts.
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
      if (ctx.shutdown.aborted) throw ctx.shutdown.reason; // the holder learns why its lease ended
    }),

    listLocks: unary(ctx, (): ListLocksResponse => ({
      $typeName: "unitsync.v1.ListLocksResponse",
      locks: ctx.locks.list().map((lock) => ({
        $typeName: "unitsync.v1.LockState",
        name: lock.name,
        capacity: lock.capacity,
        holders: lock.holders.map(leaseToProto),
        queue: lock.queue.map(leaseToProto),
      })),
    })),
  };
}
