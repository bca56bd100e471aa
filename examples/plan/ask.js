// Asks a service of the example plan: `node ask.js NAME PATH` requests PATH from the service NAME.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [name = "db", path = "/"] = process.argv.slice(2);
const port = readFileSync(join(process.env.WORKSPACE ?? ".", `${name}.port`), "utf8").trim();
const response = await fetch(`http://127.0.0.1:${port}${path}`);
process.stdout.write(await response.text());
process.exit(response.ok ? 0 : 1);
