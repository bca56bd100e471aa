// Which boot and container session this agent runs in: the kernel's boot id and PID 1's start
// time. A journal replays only into the same identity, so a new boot or container starts empty.
import { readFileSync } from "node:fs";

export interface BootIdentity {
  /** /proc/sys/kernel/random/boot_id: new at every boot. */
  bootId: string;
  /** Field 22 of /proc/1/stat (clock ticks after boot): new for every container (PID namespace). */
  pid1Start: string;
}

/** PID 1's start time from the text of /proc/1/stat; the command name may hold spaces and ")". */
export function pid1StartFrom(stat: string): string {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After "pid (comm) ", field 3 (state) is fields[0]; field 22 (starttime) is fields[19].
  return fields[19] ?? "";
}

export function currentBootIdentity(): BootIdentity {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return "";
    }
  };
  return { bootId: read("/proc/sys/kernel/random/boot_id").trim(), pid1Start: pid1StartFrom(read("/proc/1/stat")) };
}
