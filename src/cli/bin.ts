// Entry point of the bundled CLI: the real process as io, the exit code as the process's.
import { isSea } from "node:sea";
import { main } from "./main.js";

// How to run this same unitsync again: the single executable is its own command.
const self = isSea() ? [process.execPath] : [process.execPath, process.argv[1]!];
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process, self }).then(
  (code) => (process.exitCode = code),
);
