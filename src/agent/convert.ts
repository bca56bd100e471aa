// Core views → protobuf messages, for the handlers.
import { create } from "@bufbuild/protobuf";
import type { UnitEvent } from "../core/event-log.js";
import type { ProcessView } from "../core/processes.js";
import type { UnitView } from "../core/registry.js";
import { conditionToProto, eventKindToProto, statusToProto } from "../rpc/enums.js";
import type { Timeline } from "../core/timeline.js";
import {
  EventSchema,
  type GetTimelineResponse,
  GetTimelineResponseSchema,
  type Event,
  type Unit,
} from "../../gen/unitsync/v1/unitsync_pb.js";
import { eventProcess, processToProto } from "./process-convert.js";
import { timestampFromMs } from "../rpc/timestamps.js";

/**
 * `process`: what the unit's runner last reported (see src/core/processes.ts). Built as a plain
 * message, not through protobuf-es's reflective create(): a fan-out builds one per waiter.
 */
export function unitToProto(view: UnitView, process?: ProcessView): Unit {
  return {
    $typeName: "unitsync.v1.Unit",
    name: view.name,
    status: statusToProto(view.status),
    ready: view.ready,
    dependencies: view.dependencies.map((d) => ({
      $typeName: "unitsync.v1.Dependency" as const,
      dependsOn: d.dependsOn,
      required: conditionToProto(d.required),
      currentStatus: statusToProto(d.current),
      satisfied: d.satisfied,
    })),
    ...(view.blocked ? { blocked: { $typeName: "unitsync.v1.Blocked" as const, failedUnit: view.blocked.failedUnit, reason: view.blocked.reason, chain: [...view.blocked.chain] } } : {}),
    reason: view.reason,
    waiting: view.waiting,
    ...(view.registeredAt !== undefined ? { registeredAt: timestampFromMs(view.registeredAt) } : {}),
    ...(view.changedAt !== undefined ? { changedAt: timestampFromMs(view.changedAt) } : {}),
    owner: view.owner,
    attempt: view.attempt,
    ...(process ? { process: processToProto(process) } : {}),
    locksHeld: [],
    locksWaiting: [],
  };
}

export function eventToProto(event: UnitEvent): Event {
  return create(EventSchema, {
    seq: BigInt(event.seq),
    time: timestampFromMs(event.time),
    unit: event.unit,
    kind: eventKindToProto(event.kind),
    from: statusToProto(event.from),
    to: statusToProto(event.to),
    reason: event.reason,
    dependsOn: [...event.dependsOn],
    attempt: event.attempt ?? 0,
    process: eventProcess(event),
    ...lockFields(event),
  });
}

/** The Event fields of a lock event, from the detail the lock table recorded (see lockEventDetail). */
function lockFields(event: UnitEvent) {
  const d = event.detail;
  if (!d || typeof d.leaseId !== "string") return {};
  return {
    locks: typeof d.locks === "string" && d.locks !== "" ? d.locks.split("\n") : [],
    leaseId: d.leaseId,
    lockHolder: String(d.holder ?? ""),
    lockReleasedBy: String(d.releasedBy ?? ""),
  };
}

const optionalTimestamp = (ms: number | undefined) => (ms === undefined ? undefined : timestampFromMs(ms));

export function timelineToProto(
  timeline: Timeline,
  events: UnitEvent[],
  droppedEvents: number,
  processOf: (unit: string) => ProcessView | undefined = () => undefined,
): GetTimelineResponse {
  return create(GetTimelineResponseSchema, {
    entries: timeline.entries.map((e) => ({
      unit: e.name,
      status: statusToProto(e.status),
      reason: e.reason,
      registeredAt: timestampFromMs(e.registeredAt),
      startRequestedAt: optionalTimestamp(e.startRequestedAt),
      startedAt: optionalTimestamp(e.startedAt),
      finishedAt: optionalTimestamp(e.finishedAt),
      attempt: e.attempt,
      attempts: e.attempts.map((a) => ({
        number: a.attempt,
        status: statusToProto(a.status),
        reason: a.reason,
        beganAt: timestampFromMs(a.beganAt),
        startRequestedAt: optionalTimestamp(a.startRequestedAt),
        startedAt: optionalTimestamp(a.startedAt),
        finishedAt: optionalTimestamp(a.finishedAt),
      })),
      process: ((p) => (p ? processToProto(p) : undefined))(processOf(e.name)),
    })),
    criticalChain: timeline.criticalChain,
    events: events.map(eventToProto),
    droppedEvents: BigInt(droppedEvents),
  });
}
