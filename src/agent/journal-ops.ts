// What the journal records and how it replays: each state-changing RPC that succeeded becomes one
// record (its kind, the request's fields, the owner, the time), and each record kind replays
// through the same core call. A new operation is one entry in RECORDERS and one in REPLAYERS.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampMs } from "../rpc/timestamps.js";
import { fromJson, toJson } from "@bufbuild/protobuf";
import { Metadata, type Metadata as GrpcMetadata } from "@grpc/grpc-js";
import { DependencyFailed } from "../core/errors.js";
import type { Registry } from "../core/registry.js";
import type { LockEvent } from "../core/locks.js";
import type { Condition } from "../core/status.js";
import { conditionName } from "../rpc/enums.js";
import { ERROR_KIND_KEY, OWNER_KEY } from "../rpc/status.js";
import { UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";

/** One journal record: `k` its kind, `t` when it happened (ms), the rest its fields. */
export type JournalRecord = { k: string; t?: number } & Record<string, unknown>;

/** Where replay applies records: the core state of the agent. */
export interface ReplayTarget {
  registry: Registry;
  /** The agent's own handlers, for records that replay a whole call (kind "rpc"). */
  handlers?: Record<string, unknown>;
  /** The start_id of the call that started each unit (start-resume.ts). */
  startedBy: Map<string, string>;
  /** Lock leases held when the journal ends, by lease id: restored as reserved (lock-grace.ts). */
  leases?: Map<string, HeldLease>;
}

/** A lock lease the journal says is held. */
export interface HeldLease {
  locks: { name: string; capacity: number }[];
  unit: string;
  holder: string;
  pid: number;
  grantedAt: number;
}

/**
 * The records a lock event leaves: a grant (with each lock's capacity, so a restored lock has the
 * same room) and a release. Waits and withdrawals leave none: a queued request is asked again.
 */
export function lockRecord(event: LockEvent, capacityOf: (name: string) => number | undefined): JournalRecord | undefined {
  if (event.kind === "lock-granted") {
    return {
      k: "lock",
      id: event.leaseId,
      l: event.locks.map((name) => [name, capacityOf(name) ?? 1]),
      u: event.unit,
      h: event.holder,
      p: event.pid,
      t: event.time,
    };
  }
  if (event.kind === "lock-released") return { k: "unlock", id: event.leaseId, t: event.time };
  return undefined;
}

type Request = Record<string, unknown>;
type Response = Record<string, unknown> | undefined;

/**
 * A whole unary call, replayed through the agent's own handler: for calls whose effect spans
 * several core modules (a plan, a process report). The request is kept as protobuf JSON.
 */
const wholeCall = (method: string) => (q: Request, _r: Response, owner: string): JournalRecord => {
  const schema = UnitSyncService.method[method as keyof typeof UnitSyncService.method].input;
  return { k: "rpc", m: method, q: toJson(schema, q as never) as Record<string, unknown>, o: owner };
};

/** Unary RPCs: the record a successful call leaves, or undefined when it changed nothing. */
export const UNARY_RECORDERS: Record<string, (request: Request, response: Response, owner: string) => JournalRecord | undefined> = {
  declarePlan: wholeCall("declarePlan"),
  reportProcess: wholeCall("reportProcess"),
  want: (q, _r, owner) => ({ k: "want", u: q.unit, d: q.dependsOn, c: conditionName(q.condition as never), o: owner }),
  complete: (q, r) => (r?.changed ? { k: "complete", u: q.unit } : undefined),
  fail: (q, r) => (r?.changed ? { k: "fail", u: q.unit, r: q.reason } : undefined),
};

/** The kind of core error (rpc/status.ts) behind a call's error status, if any. */
function errorKindOf(error: unknown): string | undefined {
  const metadata = (error as { metadata?: GrpcMetadata } | undefined)?.metadata;
  const value = metadata?.get?.(ERROR_KIND_KEY)[0];
  return typeof value === "string" ? value : undefined;
}

/**
 * Server streams: the records a message leaves as it is written, and the one an error ending
 * leaves. `state` is per call; `before` runs when the call arrives (before the handler), so a
 * recorder can see the state it started from.
 */
export const STREAM_RECORDERS: Record<
  string,
  {
    before?(request: Request, target: ReplayTarget): Record<string, unknown>;
    message(request: Request, message: Record<string, unknown>, owner: string, state: Record<string, unknown>): JournalRecord | undefined;
    failed?(request: Request, error: unknown, owner: string, state: Record<string, unknown>): JournalRecord | undefined;
  }
> = {
  start: {
    // Refused at once because a dependency failed: it registered the unit (and asked to start it)
    // all the same, with no message written. One that waited first has its "wait" record.
    failed: (q, error, owner, state) =>
      !state.waiting && errorKindOf(error) === "dependency-failed" ? { k: "refused", u: q.unit, o: owner } : undefined,
    message: (q, m, owner, state) => {
      const event = m.event as { case?: string } | undefined;
      // A start that waits: its unit exists from now on (it may have registered it), and its wait began.
      if (event?.case === "waiting" && !state.waiting) {
        state.waiting = true;
        return { k: "wait", u: q.unit, o: owner };
      }
      if (event?.case === "started") {
        // Started by another call's change (a dependency completing): the time of the transition.
        const changed = (event as { value?: { unit?: { changedAt?: Timestamp } } }).value?.unit?.changedAt;
        return { k: "started", u: q.unit, o: owner, ...(changed ? { t: timestampMs(changed) } : {}), ...(q.startId ? { id: q.startId } : {}) };
      }
      return undefined;
    },
  },
};

const str = (value: unknown) => String(value ?? "");

/** Calls the agent's unary handler `method` with `request` as `owner`; throws what it answers with. */
function replayCall({ handlers }: ReplayTarget, method: string, json: unknown, owner: string): void {
  const handler = handlers?.[method] as ((call: unknown, callback: (error: unknown) => void) => void) | undefined;
  if (!handler) throw new Error(`no handler for ${method}`);
  const schema = UnitSyncService.method[method as keyof typeof UnitSyncService.method].input;
  const metadata = new Metadata();
  if (owner) metadata.set(OWNER_KEY, owner);
  let failure: unknown;
  handler({ request: fromJson(schema, json as never), metadata }, (error) => (failure = error));
  if (failure) throw new Error((failure as { details?: string }).details ?? String(failure));
}

/** Replays one record through the core; throws when the core refuses it. */
export const REPLAYERS: Record<string, (record: JournalRecord, target: ReplayTarget) => void> = {
  rpc: (r, target) => replayCall(target, str(r.m), r.q, str(r.o)),
  want: (r, { registry }) => void registry.want(str(r.u), (r.d as string[]) ?? [], (r.c as Condition) ?? "completed", str(r.o)),
  complete: (r, { registry }) => void registry.complete(str(r.u)),
  fail: (r, { registry }) => void registry.fail(str(r.u), str(r.r)),
  // A start that was waiting: register the unit the same way, then end the wait at once (its
  // client resumes it on the new agent).
  wait: (r, { registry }) => {
    const stop = new AbortController();
    const waiting = registry.start(str(r.u), stop.signal, {}, str(r.o));
    stop.abort(new Error("journal replay"));
    waiting.catch(() => {});
  },
  // A start refused at once (a dependency had failed): the same call is refused the same way,
  // after registering the unit just as it did.
  refused: (r, { registry }) => {
    const stop = new AbortController();
    let starting: Promise<unknown>;
    try {
      starting = registry.start(str(r.u), stop.signal, {}, str(r.o));
    } catch (error) {
      if (error instanceof DependencyFailed) return;
      throw error;
    }
    stop.abort(new Error("journal replay"));
    starting.catch(() => {});
    throw new Error(`unit "${str(r.u)}" was refused at its start, but its dependencies are not failed on replay`);
  },
  // The same state as when it started, so its dependencies are satisfied again: it starts at once.
  started: (r, { registry, startedBy }) => {
    const stop = new AbortController();
    let started = false;
    const starting = registry.start(str(r.u), stop.signal, {}, str(r.o)).then(() => (started = true));
    starting.catch(() => {});
    // start() marks a ready unit started before it returns; one still waiting is a replay that diverged.
    const view = registry.get(str(r.u));
    if (view.status !== "started" && !started) {
      stop.abort(new Error("journal replay"));
      throw new Error(`unit "${str(r.u)}" could not start again: its dependencies are not satisfied`);
    }
    if (typeof r.id === "string") startedBy.set(str(r.u), r.id);
  },
  lock: (r, { leases }) => {
    const locks = (r.l as [string, number][]).map(([name, capacity]) => ({ name: String(name), capacity: Number(capacity) }));
    leases?.set(str(r.id), { locks, unit: str(r.u), holder: str(r.h), pid: Number(r.p ?? 0), grantedAt: typeof r.t === "number" ? r.t : Date.now() });
  },
  unlock: (r, { leases }) => void leases?.delete(str(r.id)),
};

export function ownerOf(call: { metadata: GrpcMetadata }): string {
  const value = call.metadata.get(OWNER_KEY)[0];
  return typeof value === "string" ? value.slice(0, 256) : "";
}
