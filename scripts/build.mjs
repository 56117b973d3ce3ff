#!/usr/bin/env node
// `pnpm run build`: bundles each service's TypeScript into one plain JavaScript file,
// services/<name>/dist/service.cjs with its V8 code cache service.cjs.v8, started in production as
// `node services/<name>/dist/main.js` (scripts/lib/service-main.mjs), and the CLI into
// packages/cli/dist/mailhook.mjs (what the `mailhook` bin runs).
// Why a bundle (esbuild) rather than tsc output: docs/deploy.md, "Production build".
// `npm start` and the test harness call ensureBuilt(), which rebuilds only when a source is newer.
import { execFile } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { root } from "./lib/bootstrap.mjs";

export const SERVICES = ["api", "watcher", "worker"];

const THREAD_BOOT = join(root, "packages", "rule-pool", "src", "thread-boot.mjs");
const SERVICE_MAIN = join(root, "scripts", "lib", "service-main.mjs");
const CJS_CACHE = join(root, "scripts", "lib", "cjs-cache.mjs");
const THREAD_PROBE = join(root, "scripts", "lib", "thread-probe.json");

/** The file `node` runs for a service. */
export const serviceEntry = (name) => join(root, "services", name, "dist", "main.js");

/** The CLI's bundle, run by packages/cli/bin/mailhook.mjs. */
export const cliEntry = join(root, "packages", "cli", "dist", "mailhook.mjs");

// CommonJS dependencies inside an ES module bundle still call require() and read __dirname.
const BANNER = [
  'import { createRequire as __mhCreateRequire } from "node:module";',
  'import { fileURLToPath as __mhFileURLToPath } from "node:url";',
  'import { dirname as __mhDirname } from "node:path";',
  "const require = __mhCreateRequire(import.meta.url);",
  "const __filename = __mhFileURLToPath(import.meta.url);",
  "const __dirname = __mhDirname(__filename);",
].join("\n");

/** Newest modification time (ms) of the files a build reads. */
function newestInput() {
  let newest = statSync(join(root, "pnpm-lock.yaml")).mtimeMs;
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") || e.name.endsWith(".mjs") || e.name === "package.json")
        newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const group of ["packages", "services"])
    for (const pkg of readdirSync(join(root, group))) {
      walk(join(root, group, pkg, "src"));
      try {
        newest = Math.max(newest, statSync(join(root, group, pkg, "package.json")).mtimeMs);
      } catch {}
    }
  newest = Math.max(
    newest,
    statSync(new URL(import.meta.url)).mtimeMs,
    statSync(SERVICE_MAIN).mtimeMs,
    statSync(CJS_CACHE).mtimeMs,
  );
  return newest;
}

/** True when a service or the CLI has no bundle, or a source changed since it was built. */
export function isStale() {
  const inputs = newestInput();
  const cached = SERVICES.map((name) => join(root, "services", name, "dist", "service.cjs.v8"));
  return [...SERVICES.map(serviceEntry), ...cached, cliEntry].some((file) => {
    try {
      return statSync(file).mtimeMs < inputs;
    } catch {
      return true;
    }
  });
}

const COMMON = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: { js: BANNER },
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "none",
  logLevel: "warning",
  write: false,
};

/**
 * The bundle as pure ASCII. esbuild escapes non-ASCII characters in code (its default charset) but
 * copies comments as they are, and one such character (an "§" or "–" in a dependency's JSDoc) makes
 * V8 hold the whole 6 MB source as a two-byte string, which it then hashes and scans at twice the
 * width: 13 % of the instructions of loading the worker's bundle (callgrind, docs/deploy.md, "Code
 * cache"). A \u escape means the same character in a string, template or regular expression literal,
 * and in a comment it changes nothing.
 */
export function asciiOnly(text) {
  return text.replace(/[\u0080-\u{10ffff}]/gu, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, "0")}`;
  });
}

/** A CommonJS .cjs bundle, for loading through vm.Script with a code cache (scripts/lib/cjs-cache.mjs). */
const COMMONJS = {
  format: "cjs",
  outExtension: { ".js": ".cjs" },
  banner: { js: 'var __mhImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { "import.meta.url": "__mhImportMetaUrl" },
};

/** Writes esbuild's output files next to their final names, then renames them (atomic). */
function writeOutputs(result, mode = 0o644) {
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    const contents = /\.[cm]?js$/.test(file.path) ? asciiOnly(file.text) : file.contents;
    writeFileSync(tmp, contents, { mode: file.path.endsWith(".map") ? 0o644 : mode });
    renameSync(tmp, file.path);
  }
}

/** The CLI: one file with every dependency inside, runnable as `node mailhook.mjs` anywhere. */
async function buildCli(esbuild) {
  writeOutputs(
    await esbuild.build({
      ...COMMON,
      entryPoints: [join(root, "packages", "cli", "src", "bin.ts")],
      outfile: cliEntry,
    }),
    0o755,
  );
}

/**
 * mailparser's index imports its streaming parser, which builds linkify-it's patterns at load, and
 * the services use only parseAddressHeader from it (on every message's header block). So "mailparser"
 * resolves to that one module here; the parser comes with parse-full.ts's import() of
 * "mailparser/lib/simple-parser.js", run on first use (capped-source fallback, dry runs, replay).
 * A new name imported from "mailparser" fails the build until it is added below.
 */
const mailparserHeadersOnly = {
  name: "mailparser-headers-only",
  setup(b) {
    b.onResolve({ filter: /^mailparser$/ }, async (args) => {
      const pkg = await b.resolve("mailparser/package.json", {
        kind: args.kind,
        resolveDir: args.resolveDir,
      });
      if (pkg.errors.length) return undefined;
      return {
        path: join(dirname(pkg.path), "dist", "esm", "address-header.js"),
        namespace: "mailparser-headers",
      };
    });
    b.onLoad({ filter: /.*/, namespace: "mailparser-headers" }, (args) => ({
      contents: `export { parseAddressHeader } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
      loader: "js",
    }));
  },
};

/**
 * libmime ships an ES module and a CommonJS build; our code imports the one and imapflow and
 * mailsplit require the other, so a bundle held both, and each built iconv-lite's tables at load.
 * Every import of libmime resolves to the CommonJS build here: one copy, one set of tables.
 */
const oneLibmime = {
  name: "one-libmime",
  setup(b) {
    b.onResolve({ filter: /^libmime(\/.*)?$/ }, async (args) => {
      if (args.kind === "require-call" || args.pluginData === "one-libmime") return undefined;
      const r = await b.resolve(args.path, {
        kind: "require-call",
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: "one-libmime",
      });
      return r.errors.length ? undefined : { path: r.path };
    });
  },
};

/**
 * libmime builds iconv-lite's GBK codec (its double-byte tables) at load only to learn which decoder
 * class the double-byte codecs share: 12 % of the instructions of loading the worker bundle. Here
 * that codec is asked for on the first decode of a charset that is not UTF-8 compatible instead;
 * iconv-lite caches it, so the answer is the same. A libmime whose code no longer matches fails the
 * build, so the change is seen rather than silently lost.
 */
const lazyGbk = {
  name: "libmime-lazy-gbk",
  setup(b) {
    b.onLoad({ filter: /[\\/]libmime[\\/]dist[\\/]cjs[\\/]charset\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      const eager = "const DBCS_DECODER = iconv_lite_1.default.getCodec('gbk').decoder;";
      const use = "codec.decoder === DBCS_DECODER)";
      if (!text.includes(eager) || !text.includes(use))
        throw new Error(`${args.path}: libmime changed; update lazyGbk in scripts/build.mjs`);
      const lazy =
        "let DBCS_DECODER_; const dbcsDecoder = () => (DBCS_DECODER_ ??= iconv_lite_1.default.getCodec('gbk').decoder);";
      return {
        contents: text.replace(eager, lazy).replaceAll(use, "codec.decoder === dbcsDecoder())"),
        loader: "js",
      };
    });
  },
};

/** Bundles every service and the CLI. */
export async function build() {
  const esbuild = await import("esbuild");
  await Promise.all([
    buildCli(esbuild),
    ...SERVICES.map(async (name) => {
      const outdir = dirname(serviceEntry(name));
      const options = {
        outdir,
        ...COMMON,
        // Optional native accelerator of msgpackr (BullMQ); without it msgpackr uses its JS path.
        external: ["msgpackr-extract"],
        plugins: [mailparserHeadersOnly, oneLibmime, lazyGbk],
      };
      const [service, thread] = await Promise.all([
        // CommonJS, one file, exporting run(): dist/main.js compiles it with vm.Script and a V8 code
        // cache (Node 20 has no code cache for ES modules). A dynamic import() stays a lazy module
        // inside the file: with the cache, code that does not run costs little at start.
        esbuild.build({
          ...options,
          entryPoints: { service: join(root, "services", name, "src", "run.ts") },
          ...COMMONJS,
        }),
        // The rule pool's worker threads load `thread.cjs` (through their plain-JS boot file, with
        // its own code cache) from beside the bundle that starts them (packages/rule-pool/src/pool.ts).
        esbuild.build({
          ...options,
          entryPoints: { thread: join(root, "packages", "rule-pool", "src", "thread.ts") },
          ...COMMONJS,
        }),
      ]);
      mkdirSync(outdir, { recursive: true });
      copyFileSync(THREAD_BOOT, join(outdir, "thread-boot.mjs"));
      writeOutputs(service);
      writeOutputs(thread);
      copyFileSync(SERVICE_MAIN, serviceEntry(name));
      copyFileSync(CJS_CACHE, join(outdir, "cjs-cache.mjs"));
      // What earlier builds left: the ES module bundles' maps, their lazy chunks, the ESM thread.
      rmSync(join(outdir, "chunks"), { recursive: true, force: true });
      for (const old of ["main.js.map", "thread.js", "thread.js.map"])
        rmSync(join(outdir, old), { force: true });
      await Promise.all([writeCodeCache(name), writeThreadCodeCache(outdir)]);
    }),
  ]);
}

/**
 * Loads the service's bundle in a process of its own (its modules run their top level; nothing
 * starts before run()) and writes the V8 code cache beside it, then checks that V8 takes it.
 */
async function writeCodeCache(name) {
  const run = promisify(execFile);
  // V8 (Node 20.20) has written caches, after the top level ran, that it accepted and then ran
  // wrongly: a lazily compiled function threw a SyntaxError ("Unexpected token ','" in the env
  // parse, "Unexpected identifier 'nc'" in the rule thread) that the same bundle without its cache,
  // or with a cache of the same source written again, does not (docs/deploy.md, "Code cache"). So
  // the cache must also leave what the bundle does unchanged: a start with no environment says the
  // same with it and without. A cache that fails is written again; the third attempt takes only
  // what V8 compiled before the top level ran, and if that fails too the build fails.
  const plain = await bootWithoutEnv(name, ["--enable-source-maps"]);
  let cached = "";
  for (const write of ["--write-code-cache", "--write-code-cache", "--write-code-cache-early"]) {
    await run(process.execPath, [serviceEntry(name), write]);
    const { stdout } = await run(process.execPath, [serviceEntry(name), "--check-code-cache"]);
    if (stdout.trim() !== "accepted")
      throw new Error(`the code cache of ${name} was not taken by V8 (${stdout.trim()})`);
    cached = await bootWithoutEnv(name, []);
    if (cached === plain) return;
    console.warn(`[mailhook] ${name}: the code cache changed what the bundle does; writing it again`);
  }
  throw new Error(`${name} behaves differently with its code cache:\n  with: ${cached}\n  without: ${plain}`);
}

/** What a service logs when started with no environment at all (it exits 2 naming the settings). */
export async function bootWithoutEnv(name, nodeArgs) {
  try {
    await promisify(execFile)(process.execPath, [...nodeArgs, serviceEntry(name)], {
      env: {},
      timeout: 30_000,
    });
    return "exit 0";
  } catch (err) {
    const first = String(err.stdout ?? "").split("\n")[0] ?? "";
    try {
      return `exit ${err.code}: ${JSON.parse(first).err}`;
    } catch {
      return `exit ${err.code}: ${first}`;
    }
  }
}

/**
 * Writes ("write") or checks ("check") the code cache of a dist/ directory's rule pool thread,
 * inside a real worker thread (the bundle's top level reads workerData) in a process of its own, as
 * for the services; resolves with V8's verdict ("accepted", "rejected", "missing"). With `probe`,
 * the thread then evaluates and explains scripts/lib/thread-probe.json's rules on its message, and
 * the verdict is followed by its two replies (JSON), for comparing the bundle with its cache and
 * without ("ignore" loads it without).
 */
export async function threadCodeCache(outdir, mode, probe = false) {
  const boot = pathToFileURL(join(outdir, "thread-boot.mjs")).href;
  const entry = pathToFileURL(join(outdir, "thread.cjs")).href;
  const { rules, message } = probe ? JSON.parse(readFileSync(THREAD_PROBE, "utf8")) : {};
  const tasks = probe
    ? ["evaluate", "explain"].map((kind, i) => ({
        id: i + 1,
        kind,
        key: `probe-${kind}`,
        rules,
        message,
        skip: [],
        maxFieldChars: 262144,
        now: 0,
      }))
    : [];
  const script = `const { Worker } = require("node:worker_threads");
     const tasks = ${JSON.stringify(tasks)}; const out = [];
     const w = new Worker(new URL(${JSON.stringify(boot)}), { workerData: { progress: new SharedArrayBuffer(4),
       startedAt: new SharedArrayBuffer(8), entry: ${JSON.stringify(entry)}, tsx: false, codeCache: "${mode}" } });
     const next = () => { const t = tasks.shift(); if (t) w.postMessage(t); else { process.stdout.write(out.join("\\n")); process.exit(0); } };
     w.on("message", (m) => {
       if (m && m.codeCache) { out.push(m.codeCache); next(); }
       else if (m && m.id) { out.push(JSON.stringify(m)); next(); }
     });
     w.on("error", (e) => { console.error(e); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script]);
  return stdout.trim();
}

async function writeThreadCodeCache(outdir) {
  // As for the services (writeCodeCache): taken, and the same replies with the cache as without;
  // written again, and the third time from before the top level ran, when they differ.
  const [, ...plain] = (await threadCodeCache(outdir, "ignore", true)).split("\n");
  let cached = [];
  for (const write of ["write", "write", "write-early"]) {
    await threadCodeCache(outdir, write);
    const [verdict, ...replies] = (await threadCodeCache(outdir, "check", true)).split("\n");
    if (verdict !== "accepted")
      throw new Error(`the code cache of ${join(outdir, "thread.cjs")} was not taken by V8 (${verdict})`);
    cached = replies;
    if (plain.length === 2 && cached.join("\n") === plain.join("\n")) return;
    console.warn(
      `[mailhook] ${join(outdir, "thread.cjs")}: the code cache changed what the thread does; writing it again`,
    );
  }
  throw new Error(
    `${join(outdir, "thread.cjs")} behaves differently with its code cache:\n  with: ${cached.join(" ")}\n  without: ${plain.join(" ")}`,
  );
}

/** Builds when needed; returns true when it did. */
export async function ensureBuilt() {
  if (!isStale()) return false;
  await build();
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const started = Date.now();
  await build();
  const bundles = SERVICES.map((name) => join(root, "services", name, "dist", "service.cjs"));
  const sizes = [...bundles, cliEntry].map(
    (f) => `${relative(root, f)} ${(statSync(f).size / 1e6).toFixed(1)} MB`,
  );
  process.stderr.write(`[mailhook] built in ${Date.now() - started} ms: ${sizes.join(", ")}\n`);
}
