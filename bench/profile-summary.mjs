// Prints where a V8 CPU profile (from BENCH_PROFILE or --cpu-prof) spent its time: self time by
// function, the top entries. Usage: node bench/profile-summary.mjs FILE.cpuprofile [N]
import { readFileSync } from "node:fs";

const [file, count = "20"] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byFunction = new Map();
for (const [id, micros] of self) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const key = `${functionName || "(anonymous)"} ${url.replace(/.*node_modules\//, "").replace(/.*\//, "")}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
}
const total = (profile.endTime - profile.startTime) / 1000;
console.log(`${file}: ${total.toFixed(0)} ms profiled`);
for (const [key, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${(micros / 1000).toFixed(1).padStart(8)} ms  ${key}`);
}
