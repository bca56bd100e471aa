// Test helpers: this test process and every process it starts get their own HOME, runtime and
// cache directories in a temp dir, and no inherited socket setting, so no test ever reaches the
// default socket path, the user's code cache or another agent on the machine.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = mkdtempSync(join(tmpdir(), "us-env-"));
process.on("exit", () => rmSync(ROOT, { recursive: true, force: true }));

/** The private directories, created 0700 like a real runtime dir. */
export const HERMETIC_DIRS = {
  HOME: join(ROOT, "home"),
  XDG_RUNTIME_DIR: join(ROOT, "run"),
  XDG_CACHE_HOME: join(ROOT, "cache"),
  XDG_CONFIG_HOME: join(ROOT, "config"),
} as const;
for (const dir of Object.values(HERMETIC_DIRS)) mkdirSync(dir, { recursive: true, mode: 0o700 });

/** Settings a developer's shell may carry that would point a test at a real agent or cache. */
export const LEAKY_VARIABLES = [
  "UNITSYNC_SOCKET",
  "CODER_AGENT_SOCKET_PATH",
  "UNITSYNC_CACHE_DIR",
  "UNITSYNC_OWNER",
  "UNITSYNC_UNIT",
  "NODE_EXTRA_CA_CERTS",
] as const;

for (const name of LEAKY_VARIABLES) delete process.env[name];
Object.assign(process.env, HERMETIC_DIRS);

/** The environment for an in-process CLI call: PATH and the private directories, nothing else. */
export function hermeticEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { PATH: process.env.PATH, ...HERMETIC_DIRS, ...extra };
}
