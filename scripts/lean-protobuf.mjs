// An esbuild plugin that keeps protobuf-es's start-up work out of every CLI call: imports from its
// index files ("barrels") go straight to the files that define each name, so a bundle holds and
// runs only what it uses; and each generated file's descriptor, embedded as base64 that
// `fileDesc` decodes at load time with a descriptor of descriptor.proto built on the spot, is
// decoded here, at build time, into an object literal that the registry takes as it is.
// A generated file's enums (plain objects) live in a module of their own, `<file>?enums`: code
// that needs only an enum does not build the file's descriptors, which costs a CLI call ~10 ms.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const ESM = join(dirname(require.resolve("@bufbuild/protobuf")), "../esm");
const esm = (file) => import(pathToFileURL(join(ESM, file)).href);

/** The barrels: the package's entry points and the index files its own modules import. */
const BARRELS = {
  "@bufbuild/protobuf": join(ESM, "index.js"),
  "@bufbuild/protobuf/wkt": join(ESM, "wkt/index.js"),
  "@bufbuild/protobuf/codegenv2": join(ESM, "codegenv2/index.js"),
};

/** name → [defining file, its name there], following `export *` and `export { … } from`. */
const exportsOf = new Map();
function namesOf(file) {
  if (exportsOf.has(file)) return exportsOf.get(file);
  const names = new Map();
  exportsOf.set(file, names);
  const source = readFileSync(file, "utf8");
  const from = (spec) => join(dirname(file), spec);
  for (const [, spec] of source.matchAll(/^export \* from "([^"]+)";/gm)) {
    for (const [name, where] of namesOf(from(spec))) if (!names.has(name)) names.set(name, where);
  }
  for (const [, list, spec] of source.matchAll(/^export \{([^}]*)\} from "([^"]+)";/gm)) {
    for (const item of list.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [inner, outer = inner] = item.split(/\s+as\s+/);
      const found = namesOf(from(spec)).get(inner);
      if (found) names.set(outer, found);
    }
  }
  for (const [, name] of source.matchAll(/^export (?:async )?(?:function\*?|const|let|var|class) ([A-Za-z_$][\w$]*)/gm)) names.set(name, [file, name]);
  for (const [, list] of source.matchAll(/^export const ([^;=]+=[^;]*(?:, [A-Za-z_$][\w$]* = [^;,]*)+);/gm)) {
    for (const [, name] of list.matchAll(/(?:^|, )([A-Za-z_$][\w$]*) =/g)) names.set(name, [file, name]);
  }
  for (const [, list] of source.matchAll(/^export \{([^}]*)\};/gm)) {
    for (const item of list.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [inner, outer = inner] = item.split(/\s+as\s+/);
      names.set(outer, [file, inner]);
    }
  }
  return names;
}

/** Rewrites `import { a, b as c } from "<barrel>"` into one import per defining file. */
function flattenImports(source, barrelOf) {
  return source.replace(/^import (type )?\{([^}]*)\} from "([^"]+)";/gm, (whole, typeOnly, list, spec) => {
    const barrel = barrelOf(spec);
    if (!barrel || typeOnly) return whole;
    const byFile = new Map();
    const types = [];
    for (const item of list.split(",").map((s) => s.trim()).filter(Boolean)) {
      const plain = item.replace(/^type\s+/, "");
      const [inner, local = inner] = plain.split(/\s+as\s+/);
      const found = item.startsWith("type ") ? undefined : namesOf(barrel).get(inner);
      // A name no module exports is a type (erased by the compiler): it keeps the original import.
      if (!found) {
        types.push(item);
        continue;
      }
      const [file, name] = found;
      if (!byFile.has(file)) byFile.set(file, []);
      byFile.get(file).push(name === local ? name : `${name} as ${local}`);
    }
    const lines = [...byFile].map(([file, names]) => `import { ${names.join(", ")} } from ${JSON.stringify(file)};`);
    if (types.length > 0) lines.push(`import type { ${types.map((t) => t.replace(/^type\s+/, "")).join(", ")} } from "${spec}";`);
    return lines.join(" ");
  });
}

/** JavaScript source that rebuilds `value` as fromBinary made it, prototypes (proto2 defaults) included. */
function literal(value, prototypes) {
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, prototypes)).join(",")}]`;
  if (value instanceof Uint8Array) return `new Uint8Array([${[...value].join(",")}])`;
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "undefined";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const own = `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${literal(v, prototypes)}`).join(",")}}`;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return own;
  if (Object.getPrototypeOf(proto) !== Object.prototype) throw new Error("lean-protobuf: unexpected prototype chain");
  if (!prototypes.has(proto)) prototypes.set(proto, `P${prototypes.size}`);
  return `m(${prototypes.get(proto)},${own})`;
}

const load = async () => {
  const [{ fromBinary }, { toBinary }, { FileDescriptorProtoSchema }, { base64Decode }, { restoreJsonNames }] = await Promise.all([
    esm("from-binary.js"),
    esm("to-binary.js"),
    esm("wkt/gen/google/protobuf/descriptor_pb.js"),
    esm("wire/base64-encoding.js"),
    esm("codegenv2/restore-json-names.js"),
  ]);
  /** The expression that replaces `fileDesc("<b64>"`; checked to encode to the same bytes. */
  return (b64) => {
    const decoded = () => {
      const root = fromBinary(FileDescriptorProtoSchema, base64Decode(b64));
      root.messageType.forEach(restoreJsonNames);
      return root;
    };
    const prototypes = new Map();
    const body = literal(decoded(), prototypes);
    const head = [...prototypes].map(([proto, name]) => `${name}=${literal({ ...proto }, new Map())}`).join(",");
    const expression = `(()=>{const m=(p,o)=>Object.assign(Object.create(p),o);${head ? `const ${head};` : ""}return ${body}})()`;
    const rebuilt = new Function(`return ${expression}`)();
    const same = Buffer.from(toBinary(FileDescriptorProtoSchema, rebuilt)).equals(Buffer.from(toBinary(FileDescriptorProtoSchema, decoded())));
    if (!same) throw new Error("lean-protobuf: a rebuilt descriptor does not encode to the original bytes");
    return expression;
  };
};

/** The `export enum` declarations of a generated file, each with its doc comment, by name. */
const enumsIn = new Map();
function enumsOf(file) {
  if (!enumsIn.has(file)) {
    const blocks = new Map();
    for (const [block, name] of readFileSync(file, "utf8").matchAll(/^(?:\/\*\*\n(?: \*.*\n)* \*\/\n)?export enum (\w+) \{\n[\s\S]*?^\}\n/gm)) blocks.set(name, block);
    enumsIn.set(file, blocks);
  }
  return enumsIn.get(file);
}

/** Rewrites imports of a generated file's enums to its enums module. */
function enumImports(source, importer) {
  return source.replace(/^import \{([^}]*)\} from "(\.[^"]*_pb)\.js";/gm, (whole, list, spec) => {
    const enums = enumsOf(join(dirname(importer), `${spec}.ts`));
    const items = list.split(",").map((s) => s.trim()).filter(Boolean);
    const isEnum = (item) => enums.has(item.split(/\s+as\s+/)[0]);
    const moved = items.filter(isEnum);
    if (moved.length === 0) return whole;
    const kept = items.filter((item) => !isEnum(item));
    return [`import { ${moved.join(", ")} } from "${spec}.js?enums";`, ...(kept.length ? [`import { ${kept.join(", ")} } from "${spec}.js";`] : [])].join(" ");
  });
}

export const leanProtobuf = {
  name: "lean-protobuf",
  setup(build) {
    let compile;
    const barrelOf = (importer) => (spec) => {
      if (BARRELS[spec]) return BARRELS[spec];
      if (spec.startsWith(".") && importer.startsWith(ESM)) {
        const file = join(dirname(importer), spec);
        if (file.endsWith("/index.js")) return file;
      }
      return undefined;
    };
    build.onLoad({ filter: /(\/gen\/.*_pb\.ts|\/@bufbuild\/protobuf\/dist\/esm\/.*\.js)$/, namespace: "file" }, async (args) => {
      let source = flattenImports(readFileSync(args.path, "utf8"), barrelOf(args.path));
      if (args.path.endsWith("_pb.ts")) {
        const enums = enumsOf(args.path);
        for (const block of enums.values()) source = source.replace(block, "");
        if (enums.size > 0) {
          const names = [...enums.keys()].join(", ");
          source = `import { ${names} } from "./${basename(args.path, ".ts")}.js?enums";\nexport { ${names} };\n${source}`;
        }
      }
      if (/fileDesc\("/.test(source)) {
        compile ??= await load();
        source = source.replace(/fileDesc\("([A-Za-z0-9+/=]+)"/g, (_, b64) => `fileDescFrom(${compile(b64)}`);
        source = `import { fileDescFrom } from "lean-protobuf:file-desc";\n${source}`;
        // fileDesc would bring the descriptor of descriptor.proto, which is what costs.
        if (!/fileDesc\(/.test(source.replace(/fileDescFrom\(/g, ""))) source = source.replace(/import \{ fileDesc \} from "[^"]*codegenv2\/file\.js";/, "");
      }
      return { contents: source, loader: args.path.endsWith(".ts") ? "ts" : "js", resolveDir: dirname(args.path) };
    });
    build.onLoad({ filter: /\.ts$/, namespace: "file" }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const barrels = /from "@bufbuild\/protobuf(\/wkt|\/codegenv2)?"/.test(source);
      const generated = /from "\.[^"]*_pb\.js"/.test(source);
      if (!barrels && !generated) return undefined;
      return { contents: enumImports(flattenImports(source, barrelOf(args.path)), args.path), loader: "ts" };
    });
    build.onResolve({ filter: /_pb\.js\?enums$/ }, (args) => ({
      // Named relative to the project, as the bundle's comments name every other module.
      path: relative(process.cwd(), join(args.resolveDir, args.path.replace(/\.js\?enums$/, ".ts"))),
      namespace: "lean-protobuf-enums",
    }));
    build.onLoad({ filter: /.*/, namespace: "lean-protobuf-enums" }, (args) => ({
      contents: [...enumsOf(resolve(args.path)).values()].join("\n"),
      loader: "ts",
      resolveDir: dirname(resolve(args.path)),
    }));
    build.onResolve({ filter: /^lean-protobuf:file-desc$/ }, () => ({ path: "file-desc", namespace: "lean-protobuf" }));
    // What fileDesc does after decoding, on a descriptor decoded at build time.
    build.onLoad({ filter: /.*/, namespace: "lean-protobuf" }, () => ({
      resolveDir: ESM,
      contents: `import { createFileRegistry } from "./registry.js";
export function fileDescFrom(root, imports) {
  root.dependency = imports?.map((f) => f.proto.name) ?? [];
  return createFileRegistry(root, (name) => imports?.find((f) => f.proto.name === name)).getFile(root.name);
}
`,
    }));
  },
};
