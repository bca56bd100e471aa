// Core status and condition names ⇄ their protobuf enums, used by the agent and by clients.
import type { Condition as CoreCondition, UnitStatus as CoreStatus } from "../core/status.js";
import { Condition, EventKind, UnitStatus } from "../../gen/unitsync/v1/unitsync_pb.js";
import type { EventKind as CoreEventKind } from "../core/event-log.js";

const STATUS: Record<CoreStatus, UnitStatus> = {
  "not registered": UnitStatus.NOT_REGISTERED,
  pending: UnitStatus.PENDING,
  started: UnitStatus.STARTED,
  completed: UnitStatus.COMPLETED,
  failed: UnitStatus.FAILED,
};

const CONDITION: Record<CoreCondition, Condition> = {
  completed: Condition.COMPLETED,
  started: Condition.STARTED,
  finished: Condition.FINISHED,
};

const EVENT_KIND: Record<CoreEventKind, EventKind> = {
  "status-changed": EventKind.STATUS_CHANGED,
  "dependencies-declared": EventKind.DEPENDENCIES_DECLARED,
  "wait-began": EventKind.WAIT_BEGAN,
  "wait-ended": EventKind.WAIT_ENDED,
  "process-started": EventKind.PROCESS_STARTED,
  "process-checked": EventKind.PROCESS_CHECKED,
  "process-ready": EventKind.PROCESS_READY,
  "process-exited": EventKind.PROCESS_EXITED,
  "process-retrying": EventKind.PROCESS_RETRYING,
  "lock-requested": EventKind.LOCK_REQUESTED,
  "lock-granted": EventKind.LOCK_GRANTED,
  "lock-released": EventKind.LOCK_RELEASED,
  "lock-wait-ended": EventKind.LOCK_WAIT_ENDED,
};

function invert<K extends string, V extends number>(table: Record<K, V>): Map<V, K> {
  return new Map(Object.entries(table).map(([k, v]) => [v as V, k as K]));
}

const STATUS_NAME = invert(STATUS);
const CONDITION_NAME = invert(CONDITION);
const EVENT_KIND_NAME = invert(EVENT_KIND);

export const statusToProto = (status: CoreStatus): UnitStatus => STATUS[status];
export const statusName = (status: UnitStatus): CoreStatus => STATUS_NAME.get(status) ?? "not registered";
/** Every condition a dependency edge can require, as the CLI spells them. */
export const CONDITION_NAMES = Object.keys(CONDITION) as CoreCondition[];

export const conditionToProto = (condition: CoreCondition): Condition => CONDITION[condition];
/** CONDITION_UNSPECIFIED reads as "completed", the default. */
export const conditionName = (condition: Condition): CoreCondition => CONDITION_NAME.get(condition) ?? "completed";
export const eventKindToProto = (kind: CoreEventKind): EventKind => EVENT_KIND[kind];
export const eventKindName = (kind: EventKind): CoreEventKind => EVENT_KIND_NAME.get(kind) ?? "status-changed";
