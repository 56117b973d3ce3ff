#!/usr/bin/env node
// Builds the web console (packages/console/app, Preact) into packages/console/dist with esbuild:
// one script, one stylesheet, one page, served by the api under /console. Nothing is loaded from
// the network at run time. ensureConsoleBuilt() rebuilds only when a source is newer.
import { copyFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "./lib/bootstrap.mjs";

const pkg = join(root, "packages", "console");
export const CONSOLE_DIST = join(pkg, "dist");
const OUT = join(CONSOLE_DIST, "console.js");

function newest(dir) {
  let t = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function isConsoleStale() {
  const inputs = Math.max(
    ...["console/app", "console/src", "client/src", "rules/src", "api-schema/src"].map((d) =>
      newest(join(root, "packages", d)),
    ),
    statSync(new URL(import.meta.url)).mtimeMs,
  );
  try {
    return statSync(OUT).mtimeMs < inputs;
  } catch {
    return true;
  }
}

export async function buildConsole() {
  const esbuild = await import("esbuild");
  mkdirSync(CONSOLE_DIST, { recursive: true });
  await esbuild.build({
    entryPoints: [join(pkg, "app", "main.tsx")],
    outfile: OUT,
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
    // Only node:crypto has a stand-in (see the stub); any other Node import fails the build.
    plugins: [
      {
        name: "node-crypto-stub",
        setup(b) {
          b.onResolve({ filter: /^node:crypto$/ }, () => ({ path: join(pkg, "app", "node-crypto-stub.ts") }));
        },
      },
    ],
  });
  for (const f of ["index.html", "console.css"]) copyFileSync(join(pkg, "app", f), join(CONSOLE_DIST, f));
}

export async function ensureConsoleBuilt() {
  if (!isConsoleStale()) return false;
  await buildConsole();
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const started = Date.now();
  await buildConsole();
  process.stderr.write(
    `[mailhook] console built in ${Date.now() - started} ms: ${(statSync(OUT).size / 1e3).toFixed(0)} kB\n`,
  );
}
