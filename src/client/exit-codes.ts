// Exit codes of every unitsync command, shared by the CLI and the scripts that call it.
export const ExitCode = {
  ok: 0,
  /** The request failed: cycle, not found, bad state, invalid argument. */
  failed: 1,
  usage: 2,
  unreachable: 3,
  timeout: 4,
  dependencyFailed: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
