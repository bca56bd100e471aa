// Bundles the CLI into CommonJS files that also run inside the Node single executable:
// dist/unitsync.cjs, what every verb loads (the CLI, its HTTP/2 client, protobuf-es), and side
// bundles loaded at run time, from the file beside it (or from the executable's assets), by the
// verbs that need them: dist/unitsync-agent.cjs, the agent side (server, handlers, core, grpc-js,
// health, reflection, protobufjs, proto-loader) for `agent` and `up`, and dist/unitsync-plan.cjs,
// the plan reader's YAML parser and JSON Schema checker. A module the CLI bundle holds exists
// once: a side bundle takes it from the CLI bundle's instance. The .proto files @grpc/reflection otherwise reads from its
// package folder at run time are embedded.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { build } from "esbuild";
import { leanProtobuf } from "./lean-protobuf.mjs";

const require = createRequire(import.meta.url);

/** The .proto files each package loads through proto-loader's loadSync, by path in the package. */
const EMBEDDED = {
  "@grpc/reflection": ["build/proto/grpc/reflection/v1/reflection.proto", "build/proto/grpc/reflection/v1alpha/reflection.proto"],
};

const packageOf = (importer) =>
  Object.keys(EMBEDDED).find((pkg) => importer.includes(`/node_modules/${pkg}/`));

/**
 * Inside those packages, `@grpc/proto-loader` resolves to a wrapper around the real one whose
 * loadSync parses the embedded copy of the requested file instead of reading it from disk.
 */
const embedProtos = {
  name: "embed-protos",
  setup(build) {
    build.onResolve({ filter: /^@grpc\/proto-loader$/ }, async (args) => {
      const pkg = packageOf(args.importer);
      if (!pkg || args.pluginData === "real") return undefined;
      const real = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "real" });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: `${pkg}:proto-loader`, namespace: "embed-protos", pluginData: { pkg, real: real.path } };
    });
    build.onLoad({ filter: /.*/, namespace: "embed-protos" }, ({ pluginData: { pkg, real } }) => {
      const root = dirname(require.resolve(`${pkg}/package.json`, { paths: [dirname(real)] }));
      const files = Object.fromEntries(
        EMBEDDED[pkg].map((file) => [file.slice(file.indexOf("proto/") + "proto/".length), readFileSync(join(root, file), "utf8")]),
      );
      return {
        resolveDir: dirname(real),
        contents: `
const real = require(${JSON.stringify(real)});
const protobuf = require("protobufjs");
const files = ${JSON.stringify(files)};
function loadSync(filename, options = {}) {
  const wanted = String(filename).replace(/\\\\/g, "/");
  const name = Object.keys(files).find((name) => wanted === name || wanted.endsWith("/" + name));
  if (name === undefined) throw new Error("no embedded copy of " + wanted);
  const root = new protobuf.Root();
  protobuf.parse(files[name], root, { keepCase: Boolean(options.keepCase), alternateCommentMode: Boolean(options.alternateCommentMode) });
  return real.fromJSON(root.toJSON(), options);
}
module.exports = { ...real, loadSync };
`,
      };
    });
  },
};

/** Where a side bundle finds its host: the CLI bundle sets this to a function of a module key. */
const HOST = 'Symbol.for("unitsync.bundle.host")';
const ROOT = process.cwd();
const keyOf = (path) => relative(ROOT, path);

/**
 * Code only some verbs run, each in a bundle of its own that the CLI bundle loads when one of
 * them first needs it: the agent side (`agent`, `up`), and the plan reader's YAML parser and JSON
 * Schema checker (`check`, `up -f`, `graph -f`: ~500 KB every other call would read and load).
 * `into` picks the imports that lead into the side from outside it.
 */
const SIDES = [
  {
    file: "unitsync-agent.cjs",
    entry: ["src/agent/server.ts", "src/agent/socket-file.ts", "src/agent/trace-json.ts"],
    into: (args) => !args.importer.includes("/src/agent/") && /(^|\/)agent\/[a-z-]+\.js$/.test(args.path),
  },
  {
    file: "unitsync-plan.cjs",
    entry: ["src/plan/parse-yaml.ts", "src/plan/schema-check.ts"],
    into: (args) => args.importer.endsWith("/src/plan/check.ts") && /^\.\/(parse-yaml|schema-check)\.js$/.test(args.path),
  },
];
const sideOf = (args) => SIDES.find((side) => side.into(args));

// unix-dgram (the notify check's socket) is a native addon: loaded from node_modules at run time, never bundled.
// The launcher runs the bundles as vm.Scripts, where a real import() has no loader: dependencies
// that import() a Node built-in (the OTLP exporter's http/https) get require() instead.
const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  external: ["unix-dgram"],
  supported: { "dynamic-import": false },
};

/**
 * grpc-js requires @grpc/proto-loader (and with it protobufjs) only inside the functions that
 * build its channelz and ORCA services, which unitsync never serves: in the CLI bundle they get a
 * stand-in that says so instead of ~300 KB nobody runs.
 */
const noProtoLoader = {
  name: "no-proto-loader",
  setup(b) {
    b.onResolve({ filter: /^@grpc\/proto-loader$/ }, (args) =>
      args.importer.includes("/node_modules/@grpc/grpc-js/") ? { path: "proto-loader", namespace: "no-proto-loader" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "no-proto-loader" }, () => ({
      contents: 'exports.loadSync = () => { throw new Error("unitsync serves neither channelz nor ORCA: @grpc/proto-loader is not bundled"); };',
      loader: "js",
    }));
  },
};
const cliEntry = { entryPoints: ["src/cli/bin.ts"], ...common };

/** Pass 1: which modules the CLI bundle holds (the side bundles left out). */
const probe = await build({
  ...cliEntry,
  write: false,
  outfile: "dist/unitsync.cjs",
  metafile: true,
  plugins: [leanProtobuf, noProtoLoader, { name: "no-sides", setup: (b) => b.onResolve({ filter: /.*/ }, (args) => (sideOf(args) ? { path: args.path, external: true } : undefined)) }],
});
// The modules whose code is in the output (a module imported but tree-shaken away does not count).
const inCli = new Set(Object.keys(Object.values(probe.metafile.outputs)[0].inputs));
if (process.env.BUNDLE_WHY) for (const [k, v] of Object.entries(probe.metafile.inputs)) for (const i of v.imports) if (i.path.includes(process.env.BUNDLE_WHY)) console.error(k, "->", i.path);

/** The export names of an ES module (undefined for CommonJS), as esbuild sees them. */
async function esmExports(file) {
  if (!/\.(ts|mjs)$|\/@bufbuild\/protobuf\/dist\/esm\//.test(file)) return undefined;
  const result = await build({ entryPoints: [file], write: false, metafile: true, format: "esm", outdir: "dist/.exports", logLevel: "silent" });
  const names = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.exports ?? [];
  return names.filter((name) => name !== "default");
}

/** Pass 2: the side bundles; every module the CLI bundle holds comes from the CLI bundle's instance. */
const shared = new Set();
const fromHost = {
  name: "from-host",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === "real" || args.kind === "entry-point" || args.namespace !== "file") return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: "real" });
      if (real.errors.length > 0 || real.external || !real.path) return undefined;
      const key = keyOf(real.path);
      if (!inCli.has(key)) return undefined;
      shared.add(key);
      return { path: key, namespace: "host" };
    });
    b.onLoad({ filter: /.*/, namespace: "host" }, async (args) => {
      const module = `globalThis[${HOST}](${JSON.stringify(args.path)})`;
      const names = await esmExports(resolve(ROOT, args.path));
      // An ES module's exports become plain bindings: through CommonJS interop every use would
      // read a getter that reads the host's getter, on every call of a hot path.
      if (names === undefined) return { contents: `module.exports = ${module};`, loader: "js" };
      return { contents: `const m = ${module};\nexport const { ${names.join(", ")} } = m;\n`, loader: "js" };
    });
  },
};
for (const side of SIDES) {
  await build({
    ...common,
    stdin: { contents: side.entry.map((file) => `export * from "./${file}";\n`).join(""), resolveDir: ROOT, sourcefile: side.file.replace(".cjs", ".ts"), loader: "ts" },
    outfile: `dist/${side.file}`,
    plugins: [fromHost, embedProtos, leanProtobuf],
  });
}

/**
 * Pass 3: the CLI bundle. Each side is one small module that lends the side bundles the shared
 * modules, then loads its bundle: through the launcher's code cache (from the file beside this
 * one, or from the executable's assets), or else from the assets or with a plain require.
 */
const sideLoader = (file) => `
const host = {
${[...shared].sort().map((key) => `  ${JSON.stringify(key)}: () => require(${JSON.stringify(resolve(ROOT, key))}),`).join("\n")}
};
globalThis[${HOST}] = (key) => {
  if (!Object.hasOwn(host, key)) throw new Error("unitsync: a side bundle needs a module the CLI bundle lacks: " + key);
  return host[key]();
};
const sea = require("node:sea");
function load() {
  const file = require("node:path").join(__dirname, ${JSON.stringify(file)});
  const launcher = globalThis[Symbol.for("unitsync.launcher.load")];
  if (launcher) return launcher(file);
  if (sea.isSea()) {
    const { Script } = require("node:vm");
    const source = sea.getAsset(${JSON.stringify(file)}, "utf8");
    const fn = new Script("(function (exports, require, module, __filename, __dirname) {" + source + "\\n})", { filename: ${JSON.stringify(file)} }).runInThisContext();
    const mod = { exports: {} };
    fn.call(mod.exports, mod.exports, require, mod, ${JSON.stringify(file)}, __dirname);
    return mod.exports;
  }
  return require(file);
}
module.exports = load();
`;
const cli = await build({
  ...cliEntry,
  outfile: "dist/unitsync.cjs",
  metafile: true,
  plugins: [
    leanProtobuf,
    noProtoLoader,
    {
      name: "side-loaders",
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) => {
          const side = sideOf(args);
          return side ? { path: side.file, namespace: "side-loader" } : undefined;
        });
        b.onLoad({ filter: /.*/, namespace: "side-loader" }, (args) => ({ contents: sideLoader(args.path), loader: "js", resolveDir: join(ROOT, "src/cli") }));
      },
    },
  ],
});

/**
 * The verbs a start-up script runs many times (ping, want, start, complete, fail) load no
 * generated descriptors: building them would cost each call ~10 ms (src/client/message-codec.ts).
 * What a module imports statically runs when it loads; an import() runs only when called.
 */
const HOT = ["src/cli/bin.ts", "src/cli/unit-verbs.ts", "src/cli/start-verb.ts"];
const loaded = new Set();
const visit = (key) => {
  if (loaded.has(key)) return;
  loaded.add(key);
  for (const i of cli.metafile.inputs[key]?.imports ?? []) if (i.kind !== "dynamic-import" && !i.external) visit(i.path);
};
HOT.forEach(visit);
const descriptors = [...loaded].filter((key) => /(^|\/)gen\/.*_pb\.(ts|js)$/.test(key) && !key.startsWith("lean-protobuf-enums:"));
if (descriptors.length > 0) throw new Error(`the CLI's hot verbs load generated descriptors: ${descriptors.join(", ")}`);
