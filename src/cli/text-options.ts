// Text options as typed: the argument parser turns "0042" into 42 and "1e3" into 1000, so such
// values are taken back from argv (the last occurrence wins, before any "--").
const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function keepText(argv: readonly string[], options: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    if (typeof options[camel(name)] !== "number") continue;
    let raw: string | undefined;
    for (let i = 0; i < argv.length && argv[i] !== "--"; i++) {
      const arg = argv[i]!;
      if (arg === `--${name}`) raw = argv[i + 1];
      else if (arg.startsWith(`--${name}=`)) raw = arg.slice(name.length + 3);
    }
    if (raw !== undefined) options[camel(name)] = raw;
  }
}
