// `unitsync shim coder`: prints a POSIX sh wrapper to install as `coder` on PATH, so scripts
// written for `coder exp sync` run unchanged: `coder exp sync …` runs unitsync, anything else the
// real coder further down PATH, or says coder is not installed (exit 127).
import { ExitCode } from "../client/exit-codes.js";
import { CommandError, type Io } from "./io.js";

const MARKER = "# unitsync coder shim";

export const CODER_SHIM = `#!/bin/sh
${MARKER}: "coder exp sync ..." runs unitsync; anything else runs the real coder further down PATH.
# Made by "unitsync shim coder". Set UNITSYNC_COMMAND to run another unitsync than the one on PATH.
if [ "$1" = exp ] && [ "$2" = sync ]; then
  shift 2
  exec \${UNITSYNC_COMMAND:-unitsync} "$@"
fi
# The real coder: the first "coder" on PATH that is not a copy of this shim.
old_ifs=$IFS
IFS=:
for dir in $PATH; do
  IFS=$old_ifs
  candidate="\${dir:-.}/coder"
  if [ -f "$candidate" ] && [ -x "$candidate" ] && ! grep -q "^${MARKER}" "$candidate" 2>/dev/null; then
    exec "$candidate" "$@"
  fi
done
IFS=$old_ifs
echo "coder: not installed; this coder is unitsync's shim and runs only \\"coder exp sync ...\\"" >&2
exit 127
`;

export function shim(io: Io, name: string): number {
  if (name !== "coder") throw new CommandError(`shim ${name}: unknown shim; the one there is: coder`, ExitCode.usage);
  io.stdout.write(CODER_SHIM);
  return ExitCode.ok;
}
