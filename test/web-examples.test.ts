// The Coder example for the live page: a coder_script serves `unitsync web` on loopback and a
// coder_app (with its health check) points at the same port.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { ROOT } from "./helpers/cli.js";
import { parseListen } from "../src/web/listen.js";

test("the Coder start-up page example wires one loopback port into the script, the app and its health check", (t) => {
  const tf = readFileSync(join(ROOT, "examples/integrations/coder/startup-page.tf"), "utf8");
  const port = /unitsync_web_port\s*=\s*(\d+)/.exec(tf)?.[1];
  t.truthy(port);
  const script = /resource "coder_script" "unitsync_web" \{[^]*?<<-EOT\n([^]*?)\n\s*EOT/.exec(tf)?.[1] ?? "";
  const listen = /unitsync web --listen (\S+)/.exec(script)?.[1]?.replace("${local.unitsync_web_port}", port!);
  const address = parseListen(listen ?? "");
  t.like(address, { host: "127.0.0.1", port: Number(port), loopback: true });
  t.notRegex(script, /--public/);
  t.regex(script, /--allow-host \$\{local\.coder_host\}/, "answers the Host Coder's proxy forwards");
  t.regex(tf, /coder_host\s*=\s*regex\("\^\[a-z\]\+:\/\/\(\[\^\/:\]\+\)", data\.coder_workspace\.me\.access_url\)\[0\]/);
  t.regex(script, /until unitsync ping/, "waits for the agent first");
  const app = /resource "coder_app" "startup" \{([^]*?)\n\}/.exec(tf)?.[1] ?? "";
  t.regex(app, /url\s*=\s*"http:\/\/127\.0\.0\.1:\$\{local\.unitsync_web_port\}\/"/);
  t.regex(app, /subdomain\s*=\s*false/);
  t.regex(app, /healthcheck \{\s*url\s*=\s*"http:\/\/127\.0\.0\.1:\$\{local\.unitsync_web_port\}\/state\.json"/);
});
