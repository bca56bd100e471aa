// `unitsync web` as a real process: loopback unless --public, GET/HEAD only, the event stream,
// and a clean exit 0 on SIGINT/SIGTERM that ends every open stream.
import { request } from "node:http";
import test from "ava";
import { withAgentProcess, stopProcess } from "./helpers/agent-process.js";
import { cli } from "./helpers/cli.js";

/** Resolves with the first line the process prints on stdout (the page's URL). */
async function urlOf(spawned: ReturnType<Awaited<ReturnType<typeof withAgentProcess>>["spawn"]>): Promise<string> {
  const until = Date.now() + 45_000;
  while (!spawned.stdout().includes("\n")) {
    if (spawned.child.exitCode !== null) throw new Error(`web exited ${spawned.child.exitCode}: ${spawned.stderr()}`);
    if (Date.now() > until) throw new Error(`web printed no URL: ${spawned.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return spawned.stdout().split("\n")[0]!;
}

function http(method: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(method === "POST" || method === "PUT" ? '{"unit":"x"}' : undefined);
  });
}

test("web serves the page on loopback, refuses every method but GET and HEAD, and exits 0 on SIGTERM", async (t) => {
  const { spawn, client } = await withAgentProcess(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  const web = spawn(["web", "--listen", "127.0.0.1:0"]);
  const url = await urlOf(web);
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await http("GET", url);
  t.is(page.status, 200);
  t.regex(String(page.headers["content-type"]), /^text\/html/);
  t.regex(page.body, /<script src="app.js" defer><\/script>/);
  t.notRegex(page.body, /https?:\/\//, "no third-party assets");
  const head = await http("HEAD", url);
  t.is(head.status, 200);
  t.is(head.body, "");
  for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
    for (const path of ["", "events", "state.json"]) {
      const answer = await http(method, url + path);
      t.is(answer.status, 405, `${method} /${path}`);
      t.is(answer.headers.allow, "GET, HEAD");
    }
  }
  t.is((await http("GET", url + "nothing-here")).status, 404);
  let stateAnswer = await http("GET", url + "state.json");
  t.is(stateAnswer.status, 200, "the health check URL of the Coder example answers");
  // The first state is rendered once the Watch snapshot has arrived; until then it reads null.
  for (const until = Date.now() + 45_000; stateAnswer.body === "null" && Date.now() < until; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stateAnswer = await http("GET", url + "state.json");
  }
  const state = JSON.parse(stateAnswer.body);
  t.is(state.banner.kind, "progress");
  const units = await client.listUnits({});
  t.deepEqual(units.units.map((u) => u.name), ["ide"], "nothing the page served changed the agent");

  // An open event stream (its first state received) ends when the server stops; the process exits 0.
  let opened!: () => void;
  const firstState = new Promise<void>((resolve) => (opened = resolve));
  const streamEnded = new Promise<string>((resolve, reject) => {
    request(url + "events", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
        if (text.includes("event: state\n")) opened();
      });
      res.on("end", () => resolve(text));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
  await firstState;
  const result = await stopProcess(web, "SIGTERM");
  t.is(result.code, 0, result.stderr);
  t.regex(await streamEnded, /event: state\ndata: \{/);
  t.regex(result.stderr, /SIGTERM received, stopping/);
});

test("web on loopback answers only requests addressed to a loopback name (no DNS rebinding)", async (t) => {
  const { spawn } = await withAgentProcess(t);
  const web = spawn(["web", "--listen", "127.0.0.1:0"]);
  const url = await urlOf(web);
  const port = new URL(url).port;
  for (const host of ["attacker.example", `attacker.example:${port}`, `192.168.1.10:${port}`]) {
    for (const path of ["", "state.json", "events"]) {
      const answer = await http("GET", url + path, { host });
      t.is(answer.status, 421, `Host: ${host} /${path}`);
      t.is(answer.body, "421 misdirected request: this page answers only to localhost; add --allow-host for a proxy's name\n");
    }
  }
  for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "localhost"]) {
    t.is((await http("GET", url + "state.json", { host })).status, 200, `Host: ${host}`);
  }
  t.is((await stopProcess(web, "SIGTERM")).code, 0);
  // A proxy in front of the page (Coder's dashboard) forwards its own name: allowed by name only.
  const proxied = spawn(["web", "--listen", "127.0.0.1:0", "--allow-host", "coder.example.com", "--allow-host", "*.apps.example.com"]);
  const proxiedUrl = await urlOf(proxied);
  for (const [host, status] of [["coder.example.com", 200], ["w--u.apps.example.com:443", 200], ["apps.example.com", 421], ["evilcoder.example.com", 421]] as const) {
    t.is((await http("GET", proxiedUrl + "state.json", { host })).status, status, `Host: ${host}`);
  }
  t.is((await stopProcess(proxied, "SIGTERM")).code, 0);
  const bad = await cli(["web", "--allow-host", "exa mple", "--socket", "/tmp/unitsync-views-test-unused.sock"]);
  t.is(bad.code, 2);
  t.is(bad.stderr, "unitsync: web: --allow-host exa mple: expected a host name, *.domain or *\n");
});

test("web exits 0 on SIGINT too", async (t) => {
  const { spawn } = await withAgentProcess(t);
  const web = spawn(["web", "--listen", "[::1]:0"]);
  const url = await urlOf(web).catch((error) => (web.stderr().includes("EADDRNOTAVAIL") ? "" : Promise.reject(error)));
  if (url === "") return t.pass("no IPv6 loopback on this machine");
  t.regex(url, /^http:\/\/\[::1\]:\d+\/$/);
  const result = await stopProcess(web, "SIGINT");
  t.is(result.code, 0, result.stderr);
});

test("web refuses a non-loopback address unless --public, and malformed addresses", async (t) => {
  const socket = ["--socket", "/tmp/unitsync-views-test-unused.sock"];
  for (const listen of ["0.0.0.0:9460", "192.168.1.10:80", "[::]:9460"]) {
    const result = await cli(["web", "--listen", listen, ...socket]);
    t.is(result.code, 2, listen);
    t.is(result.stdout, "");
    t.is(result.stderr, `unitsync: web: --listen ${listen}: not a loopback address, and the page shows every unit and failure reason to whoever reaches it; add --public to serve it there\n`);
  }
  for (const [listen, why] of [
    ["9460", "expected HOST:PORT, such as 127.0.0.1:9460 or [::1]:9460"],
    ["127.0.0.1:99999", "port 99999 is out of range (0-65535)"],
    ["example.com:80", "example.com is not an IP address or localhost"],
  ]) {
    const result = await cli(["web", "--listen", listen!, ...socket]);
    t.is(result.code, 2, listen);
    t.is(result.stderr, `unitsync: web: --listen ${listen}: ${why}\n`);
  }
});

test("web --public serves a non-loopback address", async (t) => {
  const { spawn } = await withAgentProcess(t);
  const web = spawn(["web", "--listen", "0.0.0.0:0", "--public"]);
  const url = await urlOf(web);
  t.regex(url, /^http:\/\/0\.0\.0\.0:\d+\/$/);
  t.is((await http("GET", url.replace("0.0.0.0", "127.0.0.1"))).status, 200);
  t.is((await stopProcess(web, "SIGTERM")).code, 0);
});
