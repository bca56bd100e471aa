// Tells the agent what a unit's process is doing (ReportProcess): spawned with its pid, each
// readiness check's progress, ready, exited, waiting to retry. One call at a time; a state that
// changes while a call is out is sent once it returns (only the latest), so a chatty check never
// queues calls. Reports are best effort: the outcome itself goes through complete/fail.
import { type MessageInitShape, create } from "@bufbuild/protobuf";
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { type ProcessState, ProcessStateSchema, ProcessState_Phase } from "../../gen/unitsync/v1/unitsync_pb.js";
import type { CheckState } from "./readiness/readiness.js";
import { timestampFromMs } from "../rpc/timestamps.js";

const at = (ms: number | undefined) => (ms === undefined ? undefined : timestampFromMs(ms));

export class ProcessReporter {
  private state: ProcessState;
  private sending: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly client: UnitSyncClient | undefined,
    private readonly unit: string,
    maxAttempts: number,
  ) {
    this.state = create(ProcessStateSchema, { maxAttempts, attempt: 1 });
  }

  spawned(attempt: number, pid: number, startedAt: number, checks: readonly string[]): void {
    this.update({
      phase: checks.length > 0 ? ProcessState_Phase.STARTING : ProcessState_Phase.RUNNING,
      attempt,
      pid,
      startedAt: at(startedAt),
      checks: checks.map((check) => ({ check, passed: false, lastError: "" })),
      readyAt: undefined,
      exitedAt: undefined,
      exitCode: 0,
      exitReason: "",
      retryAt: undefined,
    });
  }

  checks(states: readonly CheckState[]): void {
    this.update({ checks: states.map((s) => ({ check: s.spec, passed: s.passed, passedAt: at(s.passedAt), lastError: s.lastError })) });
  }

  ready(readyAt: number): void {
    this.update({ phase: ProcessState_Phase.RUNNING, readyAt: at(readyAt) });
  }

  exited(exitedAt: number, exitCode: number, reason: string): void {
    this.update({ phase: ProcessState_Phase.EXITED, exitedAt: at(exitedAt), exitCode, exitReason: reason });
  }

  retrying(exitedAt: number, exitCode: number, reason: string, retryAt: number): void {
    this.update({ phase: ProcessState_Phase.RETRY_WAIT, exitedAt: at(exitedAt), exitCode, exitReason: reason, retryAt: at(retryAt) });
  }

  /** Resolves once the latest state has reached the agent (or failed to). */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private update(fields: MessageInitShape<typeof ProcessStateSchema>): void {
    const { $typeName: _name, ...current } = this.state;
    this.state = create(ProcessStateSchema, { ...current, ...fields } as MessageInitShape<typeof ProcessStateSchema>);
    if (!this.client) return;
    if (this.sending) {
      this.dirty = true;
      return;
    }
    this.send();
  }

  private send(): void {
    const client = this.client!;
    this.dirty = false;
    this.sending = client
      .reportProcess({ unit: this.unit, process: this.state }, { deadline: deadlineIn(SHORT_DEADLINE_MS) })
      .then(
        () => {},
        () => {}, // an agent without ReportProcess, or gone: the unit's outcome still goes through complete/fail
      )
      .then(() => {
        this.sending = undefined;
        if (this.dirty) this.send();
      });
  }
}
