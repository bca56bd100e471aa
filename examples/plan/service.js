// A small HTTP service for the example plan: listens on a free loopback port, writes the port to
// $WORKSPACE/NAME.port, says "NAME listening on PORT" (its readiness check), and answers requests.
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const name = process.argv[2] ?? "service";
const server = createServer((request, response) => response.end(`${name}: ${request.url} ok\n`));
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  writeFileSync(join(process.env.WORKSPACE ?? ".", `${name}.port`), String(port));
  console.log(`${name} listening on ${port}`);
});
process.on("SIGTERM", () => {
  console.log(`${name} stopping`);
  server.close(() => process.exit(0));
});
