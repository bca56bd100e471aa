// The unitsync command line: cac wiring of every verb; `main(argv, io)` returns the exit code.
import { cac } from "cac";
import { ExitCode } from "../client/exit-codes.js";
import { VERSION } from "../version.js";
import { CommandError, type Io, printError } from "./io.js";
import { DEFAULT_RECONNECT, DEFAULT_TIMEOUT } from "./defaults.js";
import { keepText } from "./text-options.js";

/** Options that accumulate when repeated; every other repeated flag takes its last value. */
const REPEATABLE = new Set(["--", "after", "ready", "lock", "column", "allowHost"]);

type Action = (...args: any[]) => Promise<number>;

function build(io: Io) {
  const cli = cac("unitsync");
  cli.option("--socket <path>", "Agent socket (default: $UNITSYNC_SOCKET, $CODER_AGENT_SOCKET_PATH, $XDG_RUNTIME_DIR/unitsync.sock, /tmp/unitsync-<uid>.sock)");
  cli.option("--socket-path <path>", "Alias of --socket, as coder exp sync spells it");
  cli.option("--reconnect <duration>", `How long to keep trying when the agent goes away, crashed or stopped (0: fail at once; default ${DEFAULT_RECONNECT})`);

  const verb = (name: string, description: string, action: Action) => cli.command(name, description).action(action);

  verb("agent", "Run the agent in the foreground", async (options) => (await import("./agent-verb.js")).agent(io, options))
    .option("--max-units <n>", "Units the agent holds, counting names only used as dependencies (default 10000)")
    .option("--max-dependencies <n>", "Dependencies of one unit (default 1000)")
    .option("--max-message-bytes <n>", "Largest request in bytes (default 65536)")
    .option("--max-streams <n>", "Open start and watch calls at once (default 20000)")
    .option("--max-reason <n>", "Characters in a failure reason (default 4096)")
    .option("--max-events <n>", "Events kept for timeline and watch; the oldest are dropped first (default 100000)")
    .option("--max-name <n>", "Characters in a unit name (default 1024)")
    .option("--max-event-bytes <n>", "Bytes of events kept; the oldest are dropped first (default 67108864)")
    .option("--max-stream-bytes <n>", "Bytes a watch or start stream may have waiting for a client that does not read (default 4194304)")
    .option("--journal [path]", "Journal of the state, replayed by the next agent in the same boot, after a crash or a stop (default: the socket path + .journal)")
    .option("--fresh", "Start empty on purpose: drop what the journal holds instead of replaying it")
    .option("--no-journal", "Keep the state in memory only")
    .option("--stop-with-stdin", "Shut down when standard input closes: for a parent that supervises the agent (unitsync up)")
    .option("--lock-grace <duration>", "After a restart, how long a lock held when the agent died stays reserved for its holder to re-claim (default 10s)")
    .option("--socket-group <group>", "Share the socket with a group (name or gid): socket 0660, its new directory 0750 (default: 0600, only this user)")
    .example("unitsync agent --socket /run/unitsync.sock")
    .example("unitsync agent --socket /run/unitsync/agent.sock --socket-group coder");
  verb("ping", "Check that the agent answers", async (options) => (await import("./unit-verbs.js")).ping(io, options))
    .option("-o, --output <format>", "text or json (json includes live counts)")
    .example("unitsync ping");
  verb("want <unit> <dependency> [...more]", "Declare that a unit depends on others", async (unit, dep, more, options) =>
    (await import("./unit-verbs.js")).want(io, unit, [dep, ...more], options),
  )
    .option("--on <condition>", "Required status of the dependencies: completed, started or finished", { default: undefined })
    .example("unitsync want ide git-clone env-setup");
  verb("start <unit>", "Wait until the unit's dependencies are satisfied, then mark it started", async (unit, options) =>
    (await import("./start-verb.js")).start(io, unit, options),
  )
    .option("--timeout <duration>", `How long to wait (0: no limit)`, { default: DEFAULT_TIMEOUT })
    .example("unitsync start ide --timeout 10m");
  verb("complete <unit>", "Mark a unit completed", async (unit, options) => (await import("./unit-verbs.js")).complete(io, unit, options))
    .example("unitsync complete git-clone");
  verb("fail <unit>", "Mark a unit failed; its dependents fail at once", async (unit, options) =>
    (await import("./unit-verbs.js")).fail(io, unit, options),
  )
    .option("--reason <text>", "Why it failed")
    .example('unitsync fail git-clone --reason "repository not found"');
  verb("list", "List every registered unit", async (options) => (await import("./list-status-verbs.js")).list(io, options))
    .option("-o, --output <format>", "table or json")
    .option("-c, --column <columns>", "Columns of the table: unit, status, ready (comma-separated or repeated)")
    .example("unitsync list -o json");
  verb("status <unit>", "Show a unit, what blocks it and its dependencies", async (unit, options) =>
    (await import("./list-status-verbs.js")).status(io, unit, options),
  )
    .option("-o, --output <format>", "table or json")
    .option("-c, --column <columns>", "Columns of the table: depends on, required status, current status, satisfied")
    .example("unitsync status ide");

  verb("run <unit>", "Wait for dependencies, run a command, then complete or fail the unit by its exit status", async (unit, options) =>
    (await import("./run-verb.js")).run(io, unit, options),
  )
    .option("--after <units>", "Dependencies, comma-separated or repeated; write \\, for a comma inside a unit name")
    .option("--timeout <duration>", "How long to wait for the dependencies (0: no limit)", { default: DEFAULT_TIMEOUT })
    .option("--optional", "If no agent answers, run the command anyway with a warning")
    .option("--ready <check>", "A service: completed once every check passes, while the command keeps running (tcp:PORT, tcp:HOST:PORT, http://URL, https://URL, file:PATH, log:REGEX, exec:COMMAND, notify); repeatable")
    .option("--ready-timeout <duration>", "Fail (and stop the command) if not ready in this long (0: no limit)", { default: "2m" })
    .option("--run-timeout <duration>", "Stop the command (SIGTERM, then SIGKILL) and fail the unit if it runs longer (exit 124)")
    .option("--retries <n>", "Run the command again up to n times after a failed attempt")
    .option("--retry-delay <duration>", "Pause before the first retry, doubling each time up to 30s", { default: "1s" })
    .option("--lock <locks>", "Locks to hold while the command runs, after the dependencies (NAME or NAME:CAPACITY; comma-separated or repeated); a service holds them until ready")
    .example("unitsync run ide --after git-clone,env-setup --ready tcp:8080 -- code-server --bind-addr 127.0.0.1:8080")
    .example("unitsync run clone --run-timeout 10m --retries 2 -- git clone https://example.com/repo.git")
    .example("unitsync run app --after 'db\\,primary' -- ./start.sh   # depends on the unit \"db,primary\"");

  verb("lock <locks>", "Hold locks (comma-separated, NAME or NAME:CAPACITY) while a command runs", async (names, options) =>
    (await import("./lock-verb.js")).lock(io, String(names), options),
  )
    .option("--timeout <duration>", "How long to wait for the locks (0: no limit)", { default: DEFAULT_TIMEOUT })
    .option("--unit <unit>", "The unit the locks are for (default: $UNITSYNC_UNIT)")
    .example("unitsync lock dpkg -- apt-get install -y git");
  verb("locks", "List every lock with its capacity, holders and queue", async (options) => (await import("./lock-verb.js")).locks(io, options))
    .option("-o, --output <format>", "table or json")
    .example("unitsync locks -o json");

  verb("watch [...units]", "Watch units change live (a table on a TTY, JSON lines otherwise)", async (units, options) =>
    (await import("./watch-verb.js")).watch(io, units, options),
  )
    .option("-o, --output <format>", "table or json (default: table on a TTY, json otherwise)")
    .example("unitsync watch -o json");
  verb("timeline", "Show when each unit registered, waited and ran, and the critical chain", async (options) =>
    (await import("./timeline-verb.js")).timeline(io, options),
  )
    .option("-o, --output <format>", "table, json, svg, html or otlp-json (svg: a Gantt chart; html: it in a page; otlp-json: the OpenTelemetry trace)")
    .example("unitsync timeline")
    .example("unitsync timeline -o svg > startup.svg");
  verb("graph", "Print the dependency graph with statuses", async (options) => (await import("./graph-verb.js")).graph(io, options))
    .option("-o, --output <format>", "dot, mermaid or json", { default: "dot" })
    .option("-f, --file <plan>", "Draw a plan (unitsync.yaml) without running it")
    .example("unitsync graph -o dot | dot -Tsvg > startup.svg");
  verb("check", "Check a start-up plan: every problem as FILE:LINE:COL", async (options) => (await import("./check-verb.js")).check(io, options))
    .option("-f, --file <plan>", "The plan (default: unitsync.yaml)")
    .option("--dir <dir>", "Check the header comments (# unitsync: after=…) of the scripts in a folder")
    .example("unitsync check -f unitsync.yaml");
  verb("web", "Serve a read-only live page of start-up: units, graph and timeline", async (options) =>
    (await import("./web-verb.js")).web(io, options),
  )
    .option("--listen <host:port>", "Where to serve (default 127.0.0.1:9460; loopback only unless --public)")
    .option("--public", "Allow a non-loopback --listen address (then any Host is answered)")
    .option("--allow-host <name>", "On loopback, also answer requests for this Host (a proxy's name; *.example.com; * for any). Repeatable")
    .example("unitsync web --listen 127.0.0.1:9460");
  verb("up [...scripts]", "Run start-up scripts in parallel under an agent, with live progress and a timeline", async (scripts, options) =>
    (await import("./up-verb.js")).up(io, scripts, options),
  )
    .option("-f, --file <plan>", "Run a start-up plan (unitsync.yaml): checked first, then every unit in this process")
    .option("--dir <dir>", "Run every executable file in this directory")
    .option("--log-dir <dir>", "Where each script's log goes (default: a new temp dir)")
    .option("--serve", "Keep the agent running after the scripts finish")
    .option("--budget <duration>", "With -f: bound on the whole start-up (default: the plan's budget); exit 4 when it runs out")
    .option("--grace <duration>", "With -f: between SIGTERM and SIGKILL when stopping a unit (default 5s)")
    .option("--then <command...>", "With -f: everything after --then is a command run once start-up is complete; up exits with its code")
    .example("unitsync up -f unitsync.yaml")
    .example("unitsync up -f /etc/unitsync.yaml --then nginx -g 'daemon off;'")
    .example("unitsync up --dir examples");
  verb("shim <name>", "Print a coder wrapper for PATH: coder exp sync runs unitsync, the rest the real coder", async (name) =>
    (await import("./shim-verb.js")).shim(io, name),
  )
    .example("unitsync shim coder > ~/.local/bin/coder && chmod +x ~/.local/bin/coder");
  verb("completion <shell>", "Print a shell completion script for bash or zsh", async (shell) =>
    (await import("./completion-verb.js")).completion(io, shell, cli),
  )
    .example("source <(unitsync completion bash)")
    .example("unitsync completion zsh > ~/.zfunc/_unitsync");

  cli.help();
  cli.version(VERSION);
  return cli;
}

/** Runs cac's own printing (help, version) with console.info pointed at io.stdout. */
function printingTo<T>(io: Io, fn: () => T): T {
  const original = console.info;
  console.info = (...parts: unknown[]) => void io.stdout.write(parts.join(" ") + "\n");
  try {
    return fn();
  } finally {
    console.info = original;
  }
}

/** Every spelling of an option that takes a value (`-o`, `--output`, `--socket`…), from the verbs' definitions. */
function valueOptions(cli: ReturnType<typeof cac>): Set<string> {
  const out = new Set<string>();
  for (const command of [cli.globalCommand, ...cli.commands]) {
    for (const option of command.options) {
      if (!/[<[]/.test(option.rawName)) continue;
      for (const part of option.rawName.split(/[ ,]+/)) if (part.startsWith("-")) out.add(part);
    }
  }
  return out;
}

/**
 * An argument that starts with "-" is an option. A single dash with several letters (`-dash`)
 * would otherwise be read as the flags d, a, s, h — and print help — so it is refused here as
 * an unknown option, before anything runs. The value of an option and everything after "--"
 * are left alone.
 */
function refuseUnknownShortOptions(argv: readonly string[], cli: ReturnType<typeof cac>): void {
  const takesValue = valueOptions(cli);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return;
    if (takesValue.has(arg)) {
      i++;
      continue;
    }
    if (/^-[^-]./.test(arg)) throw new CommandError(`unknown option ${arg}; an argument that starts with "-" is an option (see "unitsync --help")`, ExitCode.usage);
  }
}

/** `up … --then CMD ARGS…`: everything after `--then` is the command, options included. */
function splitThen(argv: readonly string[]): { argv: readonly string[]; then?: string[] } {
  const at = argv.indexOf("--then");
  if (at < 0 || !argv.slice(0, at).includes("up")) return { argv };
  return { argv: argv.slice(0, at), then: argv.slice(at + 1) };
}

export async function main(fullArgv: readonly string[], io: Io): Promise<number> {
  const cli = build(io);
  const { argv, then } = splitThen(fullArgv);
  try {
    refuseUnknownShortOptions(argv, cli);
    const parsed = printingTo(io, () => cli.parse(["node", "unitsync", ...argv], { run: false }));
    if (parsed.options.help || parsed.options.version) return ExitCode.ok;
    if (!cli.matchedCommand) {
      if (parsed.args.length === 0) {
        printingTo(io, () => cli.outputHelp());
        return ExitCode.usage;
      }
      throw new CommandError(`unknown command "${parsed.args[0]}"; see "unitsync --help"`, ExitCode.usage);
    }
    // A repeated flag arrives as an array: the last one wins, as in most CLIs.
    for (const [key, value] of Object.entries(parsed.options)) {
      if (!REPEATABLE.has(key) && Array.isArray(value)) parsed.options[key] = value.at(-1);
    }
    if (then) parsed.options.then = then;
    keepText(argv, parsed.options, ["reason", "socket", "socket-path", "socket-group", "journal", "listen"]);
    parsed.options.socket ??= parsed.options.socketPath;
    return await (cli.runMatchedCommand() as Promise<number>);
  } catch (error) {
    if (error instanceof Error && error.name === "CACError") {
      printError(io, `${error.message}; see "unitsync ${cli.matchedCommandName ?? ""} --help"`.replace("  ", " "));
      return ExitCode.usage;
    }
    if (error instanceof CommandError) {
      printError(io, error.message);
      return error.exitCode;
    }
    printError(io, `unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.failed;
  }
}
