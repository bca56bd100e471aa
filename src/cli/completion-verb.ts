// `unitsync completion bash|zsh`: a shell completion script built from the verbs and options the
// CLI defines, so it never falls behind them. Unit names complete from the running agent.
import type { CAC } from "cac";
import { ExitCode } from "../client/exit-codes.js";
import { CONDITION_NAMES } from "../rpc/enums.js";
import { CommandError, type Io } from "./io.js";

/** What a word completes to: unit names from the agent, files, directories, or a fixed list. */
type Kind = { units: true } | { files: true } | { dirs: true } | { words: string[] } | { none: true };

interface OptionSpec {
  flags: string[];
  description: string;
  /** What the option's value completes to; undefined for a flag without a value. */
  value?: Kind;
}

interface VerbSpec {
  name: string;
  description: string;
  args: { name: string; variadic: boolean; kind: Kind }[];
  options: OptionSpec[];
}

export const SHELLS = ["bash", "zsh"] as const;

/** "table or json (default: …)", "dot, mermaid or json" → the formats it names. */
function formatsIn(description: string): string[] {
  const head = description.split(" (")[0]!;
  return head.split(/,\s*|\s+or\s+/).filter((word) => /^[a-z][a-z-]*$/.test(word));
}

function valueKind(flag: string, description: string): Kind {
  if (flag === "--output") return { words: formatsIn(description) };
  if (flag === "--socket" || flag === "--socket-path") return { files: true };
  if (flag === "--dir" || flag === "--log-dir") return { dirs: true };
  if (flag === "--after") return { units: true };
  if (flag === "--on") return { words: [...CONDITION_NAMES] };
  return { none: true };
}

function argKind(verb: string, arg: string): Kind {
  if (verb === "completion") return { words: [...SHELLS] };
  if (verb === "up") return { files: true };
  return /unit|dependency|more/.test(arg) ? { units: true } : { none: true };
}

function optionSpec(rawName: string, description: string): OptionSpec {
  const flags = rawName
    .replace(/[<[].*$/, "")
    .split(",")
    .map((flag) => flag.trim())
    .filter(Boolean);
  const takesValue = /[<[]/.test(rawName);
  const long = flags.find((flag) => flag.startsWith("--")) ?? flags[0]!;
  return { flags, description, ...(takesValue ? { value: valueKind(long, description) } : {}) };
}

export function verbSpecs(cli: CAC): VerbSpec[] {
  const global = cli.globalCommand.options.map((o) => optionSpec(o.rawName, o.description));
  return cli.commands
    .filter((command) => command.name !== "")
    .map((command) => ({
      name: command.name,
      description: command.description,
      args: command.args.map((arg) => ({ name: arg.value, variadic: arg.variadic, kind: argKind(command.name, arg.value) })),
      options: [...command.options.map((o) => optionSpec(o.rawName, o.description)), ...global],
    }));
}

/** Every unit name the agent the environment points at knows (dependency targets too); nothing when none answers. */
// One name a line (names may hold spaces, quotes and any printable character, never a newline).
const UNITS_FROM_AGENT = `command unitsync graph -o names 2>/dev/null`;

function bashWords(kind: Kind): string {
  if ("units" in kind) return "_unitsync_complete_units";
  if ("files" in kind) return `COMPREPLY=($(compgen -f -- "$cur"))`;
  if ("dirs" in kind) return `COMPREPLY=($(compgen -d -- "$cur"))`;
  if ("words" in kind) return `COMPREPLY=($(compgen -W "${kind.words.join(" ")}" -- "$cur"))`;
  return "COMPREPLY=()";
}

/** `case $prev in` arms: what the value of each option completes to, per verb where they differ. */
function bashValueCases(verbs: VerbSpec[]): { flags: string[]; cases: string } {
  const byFlag = new Map<string, Map<string, string[]>>(); // flag → kind (JSON) → verbs
  for (const verb of verbs) {
    for (const option of verb.options) {
      if (!option.value) continue;
      for (const flag of option.flags) {
        const kinds = byFlag.get(flag) ?? new Map<string, string[]>();
        const key = JSON.stringify(option.value);
        kinds.set(key, [...(kinds.get(key) ?? []), verb.name]);
        byFlag.set(flag, kinds);
      }
    }
  }
  const cases = [...byFlag.entries()].map(([flag, kinds]) => {
    if (kinds.size === 1) return `    ${flag}) ${bashWords(JSON.parse([...kinds.keys()][0]!) as Kind)}; return 0 ;;`;
    const arms = [...kinds.entries()].map(([kind, names]) => `        ${names.join("|")}) ${bashWords(JSON.parse(kind) as Kind)} ;;`);
    return `    ${flag})\n      case $verb in\n${arms.join("\n")}\n      esac\n      return 0 ;;`;
  });
  return { flags: [...byFlag.keys()], cases: cases.join("\n") };
}

export function bashScript(verbs: VerbSpec[]): string {
  const values = bashValueCases(verbs);
  const optionCases = verbs
    .map((verb) => `    ${verb.name}) COMPREPLY=($(compgen -W "${[...new Set(verb.options.flatMap((o) => o.flags))].join(" ")}" -- "$cur")) ;;`)
    .join("\n");
  // Every argument of a verb completes the same way (units, scripts or a shell name).
  const argCases = verbs
    .filter((verb) => verb.args.length > 0)
    .map((verb) => `    ${verb.name}) ${bashWords(verb.args[0]!.kind)} ;;`)
    .join("\n");
  return `# bash completion for unitsync, printed by "unitsync completion bash".
# Load it in this shell:   source <(unitsync completion bash)
# or for every shell:      unitsync completion bash > ~/.local/share/bash-completion/completions/unitsync
_unitsync_units() {
  ${UNITS_FROM_AGENT}
}

# Names are matched as literal text and inserted shell-quoted: no word list is expanded.
_unitsync_complete_units() {
  local name
  while IFS= read -r name; do
    [[ $name == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$name")")
  done < <(_unitsync_units)
}

_unitsync() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} verb="" i
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      --)
        # the command that "run" starts: its name, then whatever it takes
        if ((i == COMP_CWORD - 1)); then COMPREPLY=($(compgen -c -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
        return 0 ;;
      ${values.flags.join("|")}) ((i++)) ;;
      -*) ;;
      *) [[ -z $verb ]] && verb=\${COMP_WORDS[i]} ;;
    esac
  done
  case $prev in
${values.cases}
  esac
  if [[ $cur == -* ]]; then
    case $verb in
${optionCases}
    *) COMPREPLY=($(compgen -W "--socket --socket-path --help --version" -- "$cur")) ;;
    esac
    return 0
  fi
  if [[ -z $verb ]]; then
    COMPREPLY=($(compgen -W "${verbs.map((v) => v.name).join(" ")}" -- "$cur"))
    return 0
  fi
  case $verb in
${argCases}
  esac
  return 0
}

complete -F _unitsync unitsync
`;
}

/** Text safe inside a zsh single-quoted _arguments or _describe spec. */
const zshText = (text: string) => text.split(" (")[0]!.replace(/[[\]:'\\]/g, "");

function zshAction(kind: Kind): string {
  if ("units" in kind) return "_unitsync_units";
  if ("files" in kind) return "_files";
  if ("dirs" in kind) return "_files -/";
  if ("words" in kind) return `(${kind.words.join(" ")})`;
  return " ";
}

function zshOption(option: OptionSpec): string {
  const value = option.value ? `:value:${zshAction(option.value)}` : "";
  const description = `[${zshText(option.description)}]${value}'`;
  if (option.flags.length === 1) return `'${option.flags[0]}${description}`;
  return `'(${option.flags.join(" ")})'{${option.flags.join(",")}}'${description}`;
}

export function zshScript(verbs: VerbSpec[]): string {
  const described = verbs.map((verb) => `    '${verb.name}:${zshText(verb.description)}'`).join("\n");
  const cases = verbs
    .map((verb) => {
      const args = verb.args.map((arg, i) => `'${arg.variadic ? "*" : String(i + 1)}:${arg.name}:${zshAction(arg.kind)}'`);
      const command = verb.name === "run" ? [`'*::command:_normal'`] : [];
      const specs = [...verb.options.map(zshOption), ...args, ...command].map((spec) => `        ${spec}`).join(" \\\n");
      return `    ${verb.name})\n      _arguments -s \\\n${specs} ;;`;
    })
    .join("\n");
  return `#compdef unitsync
# zsh completion for unitsync, printed by "unitsync completion zsh".
# Load it in this shell (after compinit):   source <(unitsync completion zsh)
# or for every shell: save it as _unitsync in a directory on $fpath.
_unitsync_units() {
  local -a units
  units=(\${(f)"$(${UNITS_FROM_AGENT})"})
  compadd -a units
}

_unitsync() {
  local -a verbs
  verbs=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe -t verbs 'unitsync verb' verbs
    return
  fi
  local verb=\${words[2]}
  shift words
  (( CURRENT-- ))
  case $verb in
${cases}
  esac
}

if [[ \${funcstack[1]} == _unitsync ]]; then
  _unitsync "$@"
else
  compdef _unitsync unitsync
fi
`;
}

export async function completion(io: Io, shell: string, cli: CAC): Promise<number> {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new CommandError(`completion: unknown shell "${shell}"; use ${SHELLS.join(" or ")}`, ExitCode.usage);
  }
  const verbs = verbSpecs(cli);
  io.stdout.write(shell === "bash" ? bashScript(verbs) : zshScript(verbs));
  return ExitCode.ok;
}
