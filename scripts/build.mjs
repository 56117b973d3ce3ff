#!/usr/bin/env node
// `pnpm run build`: bundles each service's TypeScript into one plain JavaScript file,
// services/<name>/dist/main.js, run in production as `node services/<name>/dist/main.js`.
// Why a bundle (esbuild) rather than tsc output: docs/deploy.md, "Production build".
// `npm start` and the test harness call ensureBuilt(), which rebuilds only when a source is newer.
import { copyFileSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "./lib/bootstrap.mjs";

export const SERVICES = ["api", "watcher", "worker"];

const THREAD_BOOT = join(root, "packages", "rule-pool", "src", "thread-boot.mjs");

/** The file `node` runs for a service. */
export const serviceEntry = (name) => join(root, "services", name, "dist", "main.js");

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
  newest = Math.max(newest, statSync(new URL(import.meta.url)).mtimeMs);
  return newest;
}

/** True when some service has no bundle, or a source changed since it was built. */
export function isStale() {
  const inputs = newestInput();
  return SERVICES.some((name) => {
    try {
      return statSync(serviceEntry(name)).mtimeMs < inputs;
    } catch {
      return true;
    }
  });
}

/** Bundles every service. Each file is written next to its final name, then renamed (atomic). */
export async function build() {
  const esbuild = await import("esbuild");
  await Promise.all(
    SERVICES.map(async (name) => {
      const out = serviceEntry(name);
      const result = await esbuild.build({
        // The rule pool's worker threads load `thread.js` (and its plain-JS boot file) from beside
        // the bundle that starts them (packages/rule-pool/src/pool.ts).
        entryPoints: {
          main: join(root, "services", name, "src", "main.ts"),
          thread: join(root, "packages", "rule-pool", "src", "thread.ts"),
        },
        outdir: dirname(out),
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        // Optional native accelerator of msgpackr (BullMQ); without it msgpackr uses its JS path.
        external: ["msgpackr-extract"],
        banner: { js: BANNER },
        sourcemap: "linked",
        sourcesContent: false,
        legalComments: "none",
        logLevel: "warning",
        write: false,
      });
      mkdirSync(dirname(out), { recursive: true });
      copyFileSync(THREAD_BOOT, join(dirname(out), "thread-boot.mjs"));
      for (const file of result.outputFiles) {
        const tmp = `${file.path}.${process.pid}.tmp`;
        writeFileSync(tmp, file.contents);
        renameSync(tmp, file.path);
      }
    }),
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
  const sizes = SERVICES.map(
    (n) => `${relative(root, serviceEntry(n))} ${(statSync(serviceEntry(n)).size / 1e6).toFixed(1)} MB`,
  );
  process.stderr.write(`[mailhook] built in ${Date.now() - started} ms: ${sizes.join(", ")}\n`);
}
