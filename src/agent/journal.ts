// The agent's journal: every state change appended beside the socket as it happens, replayed at
// start-up when the journal belongs to this boot and container session, compacted when it grows.
// A clean shutdown keeps it (the state belongs to the boot, not to the process); `--fresh` drops it.
import { closeSync, unlinkSync } from "node:fs";
import { Registry } from "../core/registry.js";
import { type BootIdentity, currentBootIdentity } from "./boot-identity.js";
import { append, decodeRecords, encodeRecords, openJournalFile, readAll, recordBytes, rewrite, truncate } from "./journal-file.js";
import { type JournalRecord, REPLAYERS, type ReplayTarget } from "./journal-ops.js";

export const JOURNAL_VERSION = 1;
/** The journal is compacted once it is this large and twice its size after the last compaction. */
export const DEFAULT_COMPACT_BYTES = 4 * 1024 * 1024;
/** Records that may be dropped by compaction when replaying them changes nothing. */
const DROPPABLE_WHEN_SILENT = new Set(["want"]);

/** The registry's clock: the time of the record being replayed, else the real time. */
export class ReplayClock {
  at: number | undefined;
  now(): number {
    return this.at ?? Date.now();
  }
}

export interface JournalOptions {
  path: string;
  /** Which boot and container session this is; injectable for tests. */
  identity?: BootIdentity;
  compactBytes?: number;
  /** Start empty on purpose: drop what the journal holds instead of replaying it. */
  fresh?: boolean;
  log: (line: string) => void;
}

export interface JournalStats {
  /** Records in the journal now (header excluded). */
  records: number;
  bytes: number;
  /** Records replayed at start-up. */
  replayed: number;
  compactions: number;
}

export class Journal {
  /** Bytes on file: the records appended in this turn of the event loop wait in `pending`. */
  private written = 0;
  /** The JSON payloads of the records not yet written, and how many bytes they take on file. */
  private pending: string[] = [];
  private pendingBytes = 0;
  private pendingRecords = 0;
  private flushQueued = false;
  /** The journal's size with the records not yet written. */
  private get size(): number {
    return this.written + this.pendingBytes;
  }
  private compactAt: number;
  readonly stats: JournalStats = { records: 0, bytes: 0, replayed: 0, compactions: 0 };

  private constructor(
    private fd: number,
    private readonly options: JournalOptions,
    private readonly identity: BootIdentity,
    private readonly target: ReplayTarget,
    private readonly clock: ReplayClock,
  ) {
    this.compactAt = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
  }

  /** Opens the journal, replays it into `target` when it belongs to this boot, and makes it ready to append. */
  static open(options: JournalOptions, target: ReplayTarget, clock: ReplayClock): Journal {
    const identity = options.identity ?? currentBootIdentity();
    const fd = openJournalFile(options.path);
    const journal = new Journal(fd, options, identity, target, clock);
    journal.load();
    return journal;
  }

  private header(): JournalRecord {
    return { k: "header", v: JOURNAL_VERSION, boot: this.identity.bootId, pid1: this.identity.pid1Start, t: Date.now() };
  }

  private load(): void {
    const { path, log } = this.options;
    const bytes = readAll(this.fd);
    const decoded = decodeRecords(bytes);
    const [header, ...records] = decoded.records;
    const mismatch =
      bytes.length === 0
        ? undefined
        : this.options.fresh
          ? "asked to start empty (--fresh)"
        : header?.k !== "header" || header.v !== JOURNAL_VERSION
          ? "it has no valid header"
          : header.boot !== this.identity.bootId
            ? `it is from another boot (boot id ${String(header.boot)}, now ${this.identity.bootId})`
            : header.pid1 !== this.identity.pid1Start
              ? `it is from another container session (PID 1 started at ${String(header.pid1)}, now ${this.identity.pid1Start})`
              : undefined;
    if (bytes.length === 0 || mismatch) {
      if (mismatch) log(`journal ${path}: ${mismatch}; starting empty`);
      truncate(this.fd, 0);
      this.written = 0;
      this.write(this.header(), false);
      return;
    }
    if (decoded.droppedBytes > 0) {
      log(`journal ${path}: dropped ${decoded.droppedBytes} bytes of a torn or corrupt record at offset ${decoded.validBytes}`);
      truncate(this.fd, decoded.validBytes);
    }
    this.written = decoded.validBytes;
    const started = Date.now();
    const failures = replay(records as JournalRecord[], this.target, this.clock, (record, error) =>
      log(`journal ${path}: record ${record.k} ${JSON.stringify(record.u ?? "")} not replayed: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.stats.replayed = records.length - failures;
    this.stats.records = records.length;
    this.stats.bytes = this.size;
    this.compactAt = Math.max(this.compactAt, this.size * 2);
    log(`journal ${path}: replayed ${this.stats.replayed} records (${this.target.registry.counts().units} units) in ${Date.now() - started} ms`);
  }

  /**
   * Records are written together at the end of the current turn of the event loop (one write for
   * the 10,000 `started` records of a fan-out, instead of one each). That is still before any
   * client hears of them: what the handlers answer reaches the socket only once the turn's
   * JavaScript, microtasks included, has run (HTTP/2 sends its frames from a native immediate).
   */
  private write(record: JournalRecord, count = true): void {
    const json = JSON.stringify(record);
    const bytes = recordBytes(json);
    this.pending.push(json);
    this.pendingBytes += bytes;
    this.stats.bytes = this.size;
    if (count) {
      this.stats.records++;
      this.pendingRecords++;
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Writes the records appended so far; a failed write (a full disk) loses them, logged, and the agent goes on. */
  flush(): void {
    this.flushQueued = false;
    if (this.pending.length === 0) return;
    const bytes = encodeRecords(this.pending, this.pendingBytes);
    const records = this.pendingRecords;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingRecords = 0;
    try {
      append(this.fd, bytes, this.written);
      this.written += bytes.length;
    } catch (error) {
      this.stats.bytes = this.size;
      this.stats.records -= records;
      this.options.log(`journal ${this.options.path}: ${records} records not written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Appends one record, stamped with the time now; compacts first when the journal has grown. */
  append(record: JournalRecord): void {
    this.write({ ...record, t: record.t ?? this.clock.now() });
    if (this.size > this.compactAt) this.compact();
  }

  /** Rewrites the journal without records whose replay changes nothing. */
  compact(): void {
    this.flush();
    const { records } = decodeRecords(readAll(this.fd));
    const scratchClock = new ReplayClock();
    const scratch: ReplayTarget = { registry: new Registry({ limits: this.target.registry.limits, clock: scratchClock }), startedBy: new Map() };
    const kept: JournalRecord[] = [];
    for (const record of records.slice(1) as JournalRecord[]) {
      const before = scratch.registry.lastSeq;
      replay([record], scratch, scratchClock, () => {});
      if (!DROPPABLE_WHEN_SILENT.has(record.k) || scratch.registry.lastSeq !== before) kept.push(record);
    }
    // A lease granted and released since changes nothing on replay: both its records go.
    // (Walked from the end: a lease id may be used again after its release.)
    const releasedLater = new Set<unknown>();
    const live = kept
      .reverse()
      .filter((r) => {
        if (r.k === "unlock") return releasedLater.add(r.id) && false;
        return !(r.k === "lock" && releasedLater.has(r.id));
      })
      .reverse();
    const header = records[0] as JournalRecord;
    const next = rewrite(this.options.path, [header, ...live]);
    closeSync(this.fd);
    this.fd = next.fd;
    this.written = next.size;
    this.stats.records = live.length;
    this.stats.bytes = this.size;
    this.stats.compactions++;
    this.compactAt = Math.max(this.options.compactBytes ?? DEFAULT_COMPACT_BYTES, this.size * 2);
    this.options.log(`journal ${this.options.path}: compacted ${records.length - 1} records to ${live.length} (${this.size} bytes)`);
  }

  /** Closes the file; `remove` deletes it too. */
  close(remove: boolean): void {
    this.flush();
    closeSync(this.fd);
    if (remove) {
      try {
        unlinkSync(this.options.path);
      } catch {
        // already gone
      }
    }
  }
}

/** Replays records in order with the clock at each record's time; returns how many the core refused. */
export function replay(
  records: readonly JournalRecord[],
  target: ReplayTarget,
  clock: ReplayClock,
  onFailure: (record: JournalRecord, error: unknown) => void,
): number {
  let failures = 0;
  try {
    for (const record of records) {
      const apply = REPLAYERS[record.k];
      clock.at = typeof record.t === "number" ? record.t : undefined;
      try {
        if (!apply) throw new Error(`unknown record kind "${record.k}"`);
        apply(record, target);
      } catch (error) {
        failures++;
        onFailure(record, error);
      }
    }
  } finally {
    clock.at = undefined;
  }
  return failures;
}
