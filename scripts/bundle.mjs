// Bundles the CLI into one self-contained CommonJS file, dist/unitsync.cjs, that also runs as a
// Node single executable: every dependency is inside, including the .proto files that
// grpc-health-check and @grpc/reflection otherwise read from their package folders at run time.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const require = createRequire(import.meta.url);

/** The .proto files each package loads through proto-loader's loadSync, by path in the package. */
const EMBEDDED = {
  "grpc-health-check": ["proto/health/v1/health.proto"],
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

await build({
  entryPoints: ["src/cli/bin.ts"],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  outfile: "dist/unitsync.cjs",
  // The launcher runs the bundle as a vm.Script, where a real import() has no loader: dependencies
  // that import() a Node built-in (the OTLP exporter's http/https) get require() instead.
  supported: { "dynamic-import": false },
  plugins: [embedProtos],
});
