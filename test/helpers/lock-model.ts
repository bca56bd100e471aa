// The reference model of the lock table for the model-based and wire drills: FIFO set locking as
// plainly as it can be said.
export interface ModelRequest {
  id: string;
  locks: string[];
  granted: boolean;
}

/** The reference: a global queue in arrival order; a request goes when no earlier queued request shares a lock and all have room. */
export class LockModel {
  capacity = new Map<string, number>();
  live: ModelRequest[] = [];
  request(id: string, locks: { name: string; capacity: number }[]): "refused" | "ok" {
    for (const l of locks) {
      const known = this.capacity.get(l.name);
      if (known !== undefined && l.capacity !== 0 && l.capacity !== known) return "refused";
    }
    for (const l of locks) if (!this.capacity.has(l.name)) this.capacity.set(l.name, l.capacity || 1);
    this.live.push({ id, locks: locks.map((l) => l.name), granted: false });
    this.settle();
    return "ok";
  }
  end(id: string) {
    this.live = this.live.filter((r) => r.id !== id);
    this.settle();
  }
  private settle() {
    for (let changed = true; changed; ) {
      changed = false;
      const blocked = new Set<string>();
      for (const r of this.live) {
        if (r.granted) continue;
        const room = r.locks.every((l) => !blocked.has(l) && this.held(l) < this.capacity.get(l)!);
        if (room) {
          r.granted = true;
          changed = true;
        } else r.locks.forEach((l) => blocked.add(l));
      }
    }
  }
  granted(): string[] {
    return this.live.filter((r) => r.granted).map((r) => r.id).sort();
  }
  held(lock: string) {
    return this.live.filter((r) => r.granted && r.locks.includes(lock)).length;
  }
}
