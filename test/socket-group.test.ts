// `agent --socket-group`: a real second user in the group runs every verb through a 0660 socket
// in a 0750 directory; a user outside the group gets EACCES; an unknown group is a clear error.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { resolveGroup, SocketFileError } from "../src/agent/socket-file.js";
import { tempDir } from "./helpers/agent.js";
import { BIN, cli, spawnProcess } from "./helpers/cli.js";
import { stopProcess } from "./helpers/agent-process.js";
import { spawnCli } from "./helpers/cli.js";
import { until } from "./helpers/drill.js";

const isRoot = process.getuid?.() === 0;
const asRoot = isRoot ? test.serial : test.skip;

/** Runs `unitsync ...argv` as `user` (with the user's groups), in a HOME of its own. */
function asUser(user: string, home: string, argv: string[]) {
  return spawnProcess("runuser", ["-u", user, "--", "env", `HOME=${home}`, `XDG_CACHE_HOME=${home}/cache`, process.execPath, BIN, ...argv], {}, "/").done;
}

function connectAs(user: string, path: string): Promise<string> {
  const script = `require("node:net").connect(${JSON.stringify(path)}).on("connect", function () { console.log("connected"); this.destroy(); }).on("error", (e) => console.log(e.code));`;
  return spawnProcess("runuser", ["-u", user, "--", process.execPath, "-e", script], {}, "/").done.then((r) => r.stdout.trim());
}

test("a group is a name from the group file or a number; an unknown name is a clear error", (t) => {
  t.is(resolveGroup("0"), 0);
  t.is(resolveGroup("root"), 0);
  const error = t.throws(() => resolveGroup("no-such-group-unitsync"), { instanceOf: SocketFileError });
  t.regex(error!.message, /--socket-group no-such-group-unitsync: no such group/);
});

test("agent --socket-group with an unknown group exits 1 with one line and creates nothing", async (t) => {
  const dir = tempDir(t);
  const result = await cli(["agent", "--socket", join(dir, "run", "agent.sock"), "--socket-group", "no-such-group-unitsync"]);
  t.is(result.code, 1);
  t.is(result.stderr, "unitsync: agent: --socket-group no-such-group-unitsync: no such group; name a group in /etc/group or give a numeric gid\n");
  t.throws(() => statSync(join(dir, "run")));
});

asRoot("a user in the socket group runs every verb; a user outside gets EACCES", async (t) => {
  const suffix = `${process.pid % 100000}`;
  const group = `usg${suffix}`;
  const member = `usm${suffix}`;
  const outsider = `uso${suffix}`;
  execFileSync("groupadd", [group]);
  t.teardown(() => void execFileSync("groupdel", ["-f", group]));
  execFileSync("useradd", ["-M", "-N", "-s", "/bin/sh", "-G", group, member]);
  t.teardown(() => void execFileSync("userdel", ["-f", member]));
  execFileSync("useradd", ["-M", "-N", "-s", "/bin/sh", outsider]);
  t.teardown(() => void execFileSync("userdel", ["-f", outsider]));

  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  const homes = join(dir, "homes");
  for (const user of [member, outsider]) {
    mkdirSync(join(homes, user), { recursive: true });
    execFileSync("chown", [user, join(homes, user)]);
  }
  const socketPath = join(dir, "run", "agent.sock");
  const agent = spawnCli(["agent", "--socket", socketPath, "--socket-group", group]);
  t.teardown(() => stopProcess(agent).then(() => {}));
  await until(async () => (await cli(["ping", "--socket", socketPath])).code === 0, "the agent to answer");
  t.is(statSync(socketPath).mode & 0o777, 0o660);
  t.is(statSync(join(dir, "run")).mode & 0o777, 0o750);
  const gid = resolveGroup(group);
  t.is(statSync(socketPath).gid, gid);
  t.is(statSync(join(dir, "run")).gid, gid);
  t.regex(agent.stderr(), new RegExp(`shared with group ${group} \\(gid ${gid}\\)`));

  const home = join(homes, member);
  const run = async (argv: string[], code = 0) => {
    const result = await asUser(member, home, ["--socket", socketPath, ...argv]);
    t.is(result.code, code, `${argv.join(" ")}: ${result.stderr}`);
    return result;
  };
  t.regex((await run(["ping"])).stdout, /^Success/);
  await run(["want", "ide", "git-clone"]);
  await run(["start", "git-clone"]);
  await run(["complete", "git-clone"]);
  await run(["start", "ide"]);
  await run(["complete", "ide"]);
  await run(["want", "tests", "ide"]);
  await run(["fail", "tests", "--reason", "flaky"]);
  await run(["run", "lint", "--after", "ide", "--", "true"]);
  t.regex((await run(["list"])).stdout, /ide\s+completed/);
  t.regex((await run(["status", "tests"])).stdout, /Status: failed/);
  t.regex((await run(["timeline"])).stdout, /ide/);
  t.regex((await run(["graph"])).stdout, /digraph/);
  t.regex((await run(["list", "-o", "json"])).stdout, /"unit_name": "lint"/);

  // Outside the group: the 0750 directory and the 0660 socket refuse the connect.
  t.is(await connectAs(outsider, socketPath), "EACCES");
  const refused = await asUser(outsider, join(homes, outsider), ["ping", "--socket", socketPath]);
  t.is(refused.code, 3);
  // Control: the member connects with the same call.
  t.is(await connectAs(member, socketPath), "connected");
});
