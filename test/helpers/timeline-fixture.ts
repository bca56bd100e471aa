// Test helpers: synthetic GetTimeline responses (entries and events) for the view tests.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EventKind, type GetTimelineResponse, GetTimelineResponseSchema, UnitStatus } from "../../gen/unitsync/v1/unitsync_pb.js";

export const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

export interface FixtureUnit {
  name: string;
  /** Offsets in ms from T0. */
  registered?: number;
  waitFrom?: number;
  started?: number;
  finished?: number;
  failed?: string;
  /** A wait that ended without a start (the unit was blocked), and why. */
  waitEnded?: number;
  waitEndReason?: string;
}

/** A timeline of `units`; events are generated from their times in time order. */
export function timelineOf(units: FixtureUnit[], criticalChain: string[] = []): GetTimelineResponse {
  const events: { at: number; unit: string; kind: EventKind; from: UnitStatus; to: UnitStatus; reason: string }[] = [];
  for (const u of units) {
    const reg = u.registered ?? 0;
    events.push({ at: reg, unit: u.name, kind: EventKind.STATUS_CHANGED, from: UnitStatus.NOT_REGISTERED, to: UnitStatus.PENDING, reason: "" });
    if (u.waitFrom !== undefined) events.push({ at: u.waitFrom, unit: u.name, kind: EventKind.WAIT_BEGAN, from: UnitStatus.PENDING, to: UnitStatus.PENDING, reason: "" });
    if (u.waitEnded !== undefined) events.push({ at: u.waitEnded, unit: u.name, kind: EventKind.WAIT_ENDED, from: UnitStatus.PENDING, to: UnitStatus.PENDING, reason: u.waitEndReason ?? "" });
    if (u.started !== undefined) events.push({ at: u.started, unit: u.name, kind: EventKind.STATUS_CHANGED, from: UnitStatus.PENDING, to: UnitStatus.STARTED, reason: "" });
    if (u.finished !== undefined) {
      const to = u.failed !== undefined ? UnitStatus.FAILED : UnitStatus.COMPLETED;
      events.push({ at: u.finished, unit: u.name, kind: EventKind.STATUS_CHANGED, from: UnitStatus.STARTED, to, reason: u.failed ?? "" });
    }
  }
  events.sort((a, b) => a.at - b.at);
  const status = (u: FixtureUnit) =>
    u.finished !== undefined ? (u.failed !== undefined ? UnitStatus.FAILED : UnitStatus.COMPLETED) : u.started !== undefined ? UnitStatus.STARTED : UnitStatus.PENDING;
  const at = (ms: number | undefined) => (ms === undefined ? undefined : timestampFromMs(T0 + ms));
  return create(GetTimelineResponseSchema, {
    entries: units.map((u) => ({
      unit: u.name,
      status: status(u),
      reason: u.failed ?? "",
      registeredAt: at(u.registered ?? 0),
      startRequestedAt: at(u.waitFrom),
      startedAt: at(u.started),
      finishedAt: at(u.finished),
    })),
    criticalChain,
    events: events.map((e, i) => ({ seq: BigInt(i + 1), time: timestampFromMs(T0 + e.at), unit: e.unit, kind: e.kind, from: e.from, to: e.to, reason: e.reason })),
  });
}

/** The example start-up: a clone, then setup steps in parallel, an IDE, one failure and one unit it blocks. */
export const EXAMPLE: FixtureUnit[] = [
  { name: "git-clone", waitFrom: 10, started: 10, finished: 2400 },
  { name: "dotfiles", registered: 5, waitFrom: 20, started: 20, finished: 900 },
  { name: "env-setup", registered: 8, waitFrom: 30, started: 2410, finished: 3900 },
  { name: "npm install", registered: 9, waitFrom: 40, started: 2420, finished: 6100 },
  { name: "db-migrate", registered: 12, waitFrom: 45, started: 3910, finished: 4300, failed: "exit status 1: relation \"users\" already exists" },
  { name: "seed-data", registered: 13, waitFrom: 50, waitEnded: 4300, waitEndReason: "dependency db-migrate failed: exit status 1" },
  { name: "ide", registered: 15, waitFrom: 60, started: 6110, finished: 7300 },
];

export function manyUnits(n: number): FixtureUnit[] {
  return Array.from({ length: n }, (_, i) => {
    const started = (i * 37) % 5000;
    return { name: `acme/module-${String(i).padStart(3, "0")}.setup-step`, registered: 0, waitFrom: i, started, finished: started + 200 + ((i * 91) % 3000) };
  });
}
