// Model-based drill of the lock table: random requests (sets, capacities), cancels and holder
// kills, checked after every step against a plain reference model of FIFO set locking.
import test from "ava";
import { LockTable } from "../src/core/locks.js";
import { flush } from "./helpers/core.js";
import { random } from "./helpers/h2.js";
import { LockModel as Model } from "./helpers/lock-model.js";

const STEPS = Number(process.env.UNITSYNC_FUZZ_RUNS ?? 0) > 0 ? Math.max(1_000, Number(process.env.UNITSYNC_FUZZ_RUNS)) : 1_000;
const NAMES = ["dpkg", "builds", "x", "y", "net", "gpu"];
const CAPACITY: Record<string, number> = { dpkg: 1, builds: 2, x: 1, y: 1, net: 3, gpu: 1 };

for (const seed of [1, 2, 3]) {
  test(`drill (seed ${seed}): ${STEPS} random requests with cancels and kills match the model; no lost or double grant, capacity never exceeded`, async (t) => {
    const next = random(Number(process.env.UNITSYNC_FUZZ_SEED ?? seed)).next;
    const grantEvents = new Map<string, number>();
    const table = new LockTable({
      onEvent: (e) => {
        if (e.kind === "lock-granted") grantEvents.set(e.leaseId, (grantEvents.get(e.leaseId) ?? 0) + 1);
      },
    });
    const model = new Model();
    const live = new Map<string, { controller: AbortController; resolved: number; rejected: boolean }>();
    let requests = 0;
    let grants = 0;
    let refused = 0;
    for (let step = 0; requests < STEPS; step++) {
      const roll = next();
      if (roll < 0.55 || live.size === 0) {
        const id = `r${requests++}`;
        const size = 1 + Math.floor(next() * 3);
        const names = [...new Set(Array.from({ length: size }, () => NAMES[Math.floor(next() * NAMES.length)]!))];
        const locks = names.map((name) => {
          const r = next();
          const known = model.capacity.has(name);
          return { name, capacity: known && r < 0.5 ? 0 : r < 0.95 ? CAPACITY[name]! : CAPACITY[name]! + 1 };
        });
        const expected = model.request(id, locks);
        const controller = new AbortController();
        const entry = { controller, resolved: 0, rejected: false };
        const promise = table.acquire({ leaseId: id, locks, unit: "", owner: "", pid: 1 }, controller.signal);
        promise.then(
          () => entry.resolved++,
          () => (entry.rejected = true),
        );
        await flush();
        if (expected === "refused") {
          t.true(entry.rejected, `step ${step}: ${id} should be refused`);
          refused++;
          continue;
        }
        t.false(entry.rejected, `step ${step}: ${id} refused`);
        live.set(id, entry);
      } else {
        // cancel a waiter or kill a holder: both end the request's signal
        const ids = [...live.keys()];
        const id = ids[Math.floor(next() * ids.length)]!;
        live.get(id)!.controller.abort(new Error(next() < 0.5 ? "cancelled" : "killed"));
        live.delete(id);
        model.end(id);
        await flush();
      }
      // after every step: the same grants as the model, each told once, no capacity exceeded
      const expectedGranted = new Set(model.live.filter((r) => r.granted).map((r) => r.id));
      const views = table.leaseList();
      const granted = new Set(views.filter((v) => v.grantedAt !== undefined).map((v) => v.leaseId));
      t.deepEqual([...granted].sort(), [...expectedGranted].sort(), `step ${step}: granted set`);
      for (const [id, entry] of live) {
        t.is(entry.resolved, granted.has(id) ? 1 : 0, `step ${step}: ${id} told of its grant`);
        t.true((grantEvents.get(id) ?? 0) <= 1, `step ${step}: ${id} granted twice`);
      }
      for (const lock of table.list()) t.true(lock.holders.length <= lock.capacity, `step ${step}: ${lock.name} over capacity`);
      t.deepEqual(table.counts().queued, model.live.filter((r) => !r.granted).length);
    }
    grants = [...grantEvents.values()].reduce((a, b) => a + b, 0);
    for (const entry of live.values()) entry.controller.abort(new Error("end"));
    await flush();
    t.deepEqual(table.counts(), { locks: table.list().length, holders: 0, queued: 0 });
    t.log(`${requests} requests, ${grants} grants, ${refused} refused`);
  });
}
