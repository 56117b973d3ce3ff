/**
 * Service start: milliseconds from `spawn` until a service logs that it is ready (api listening,
 * watcher/worker started) against a real Redis, and its RSS at that moment, for the ways the
 * services can run:
 *  - `tsx`: TypeScript through tsx (the development way);
 *  - `bundle`: `node services/<name>/dist/main.js`, what `pnpm run build` makes (production: the
 *    CommonJS service.cjs compiled with its V8 code cache, docs/deploy.md "Code cache");
 *  - `bundle-min`: the same code minified, in one file (no lazy chunks);
 *  - `deps-external`: workspace code bundled, npm dependencies loaded from node_modules file by
 *    file — what a tsc build (one JS file per TS file, dependencies installed) costs at start.
 * The in-run baseline is a bare Node start (`node -e`, wall and CPU time), so a loaded machine shows
 * as such: every start is also given as a ratio to it. Each start is split where the time goes:
 * spawn → the "connected to Redis" line (Node's own start, loading and running the bundle's modules,
 * parsing the environment, one connect on loopback) and from there → ready (the service's own set-up).
 * The production target is ≤ 400 ms per service (issue 12).
 *
 * Run: npx tsx bench/start.ts [--runs 7] [--variants bundle,bundle-min] [--json bench/results/start.json]
 * With BENCH_SERVICE_DIST=<dir> (a copy of another build's services/<name>/dist as <dir>/<name>/,
 * next to a package.json saying "type": "module"), the variant `before` runs <dir>/<name>/main.js,
 * interleaved with the others: an A/B of two builds. A comma-separated list gives one variant per
 * directory, named by its last path segment.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { startRedis } from "@mailhook/testing";
import { build as esbuild, type Plugin } from "esbuild";
import { numberOption, option } from "./support/args.js";
import { describeMachine, resultOut, writeResult } from "./support/results.js";
import { ROOT } from "./support/services.js";
import { type Distribution, distribution, median } from "./support/stats.js";

const RUNS = numberOption("runs", 7);
const SERVICES = ["api", "watcher", "worker"] as const;
type Service = (typeof SERVICES)[number];
const READY: Record<Service, string> = {
  api: '"msg":"api listening"',
  watcher: '"msg":"watcher started"',
  worker: '"msg":"worker started"',
};

// Built outside the repo's dist/: under node_modules/.pnpm/node_modules a bare import resolves to
// pnpm's hoisted copy of every dependency, as it would from a flat production node_modules.
const VARIANT_DIR = join(ROOT, "node_modules", ".pnpm", "node_modules", ".mailhook-start-bench");

const externalNpm: Plugin = {
  name: "external-npm",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@mailhook/") || args.path.startsWith("node:") ? undefined : { external: true },
    );
  },
};

async function buildVariant(name: Service, variant: "bundle-min" | "deps-external"): Promise<string> {
  const outfile = join(VARIANT_DIR, variant, `${name}.mjs`);
  await esbuild({
    entryPoints: [join(ROOT, "services", name, "src", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["msgpackr-extract"],
    minify: variant === "bundle-min",
    plugins: variant === "deps-external" ? [externalNpm] : [],
    banner: {
      js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
    },
    logLevel: "warning",
  });
  return outfile;
}

interface Run {
  ms: number;
  /** CPU time (user + system) the process used until ready: less sensitive to load than `ms`. */
  cpuMs: number;
  rssKb: number;
  /** Spawn → the "connected to Redis" log line (its own `time` field, ms resolution). */
  toRedisMs: number;
}

/**
 * Bytes of `file` plus those of the chunks it imports statically (esbuild's `import … from "./chunks/…"`)
 * and, for a service's dist/main.js, of the service.cjs it compiles (the code cache not counted).
 */
function loadedBytes(file: string, seen = new Set<string>()): number {
  if (seen.has(file)) return 0;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  let bytes = statSync(file).size;
  const bundle = join(dirname(file), "service.cjs");
  if (text.includes('"service.cjs"') && existsSync(bundle)) bytes += statSync(bundle).size;
  for (const m of text.matchAll(/^import [^;]*?from "(\.\.?\/[^"]+)";$/gm))
    bytes += loadedBytes(join(dirname(file), m[1]!), seen);
  return bytes;
}

/** The `time` of the first log line with `msg`, as epoch ms. */
function logTime(out: string, msg: string): number {
  const line = out.split("\n").find((l) => l.includes(`"msg":"${msg}"`));
  const m = line ? /"time":"([^"]+)"/.exec(line) : null;
  return m ? Date.parse(m[1]!) : Number.NaN;
}

function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name; clock ticks of 10 ms.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

/** Spawns `args`, waits for `ready` on stdout (or exit for the baseline), then SIGTERMs it. */
function startOnce(args: string[], env: Record<string, string>, ready: string | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const startedAt = Date.now();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let isReady = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not ready within 60 s: ${args.join(" ")}\n${out}\n${err}`));
    }, 60_000);
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    if (ready === null) {
      // The baseline prints its own CPU time (process.cpuUsage) just before it exits.
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.once("exit", () => {
        clearTimeout(timer);
        const { user, system } = JSON.parse(out) as { user: number; system: number };
        const cpuMs = (user + system) / 1000;
        resolve({ ms: performance.now() - started, cpuMs, rssKb: Number.NaN, toRedisMs: Number.NaN });
      });
      return;
    }
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (isReady || !out.includes(ready)) return;
      isReady = true;
      const ms = performance.now() - started;
      const rss = rssKb(child.pid!);
      const cpu = cpuMs(child.pid!);
      clearTimeout(timer);
      const toRedisMs = logTime(out, "connected to Redis") - startedAt;
      child.once("exit", () => resolve({ ms, cpuMs: cpu, rssKb: rss, toRedisMs }));
      child.kill("SIGTERM");
    });
    child.once("exit", (code) => {
      if (isReady) return;
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ready: ${args.join(" ")}\n${err}`));
    });
  });
}

export interface StartResult {
  runs: number;
  baselineNodeMs: Distribution;
  /** CPU time of the bare `node -e` start (median, ms). */
  baselineNodeCpuMs: number;
  /**
   * Per variant and service: start time (ms), CPU time until ready (ms), RSS at ready (MB, median),
   * both medians as multiples of the bare Node start's, and the median split of the start at the
   * "connected to Redis" line.
   */
  variants: Record<
    string,
    Partial<
      Record<
        Service,
        {
          ms: Distribution;
          cpuMsMedian: number;
          rssMbMedian: number;
          fileMb: number | null;
          wallRatio: number;
          cpuRatio: number;
          toRedisMsMedian: number;
          afterRedisMsMedian: number;
        }
      >
    >
  >;
}

const redis = await startRedis();
try {
  const env = {
    REDIS_URL: redis.url,
    MAILHOOK_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
    API_PORT: "0",
    LOG_LEVEL: "info",
  };
  rmSync(VARIANT_DIR, { recursive: true, force: true });
  const { build } = (await import(join(ROOT, "scripts", "build.mjs"))) as { build: () => Promise<void> };
  await build();
  // BENCH_SERVICE_DIST=<dir>[,<dir>…]: one variant per directory, `before` for a single one.
  const others = process.env.BENCH_SERVICE_DIST?.split(",").filter(Boolean) ?? [];
  const otherDirs = new Map(others.map((dir) => [others.length === 1 ? "before" : basename(dir), dir]));
  const variantNames = (option("variants") ?? "tsx,bundle,bundle-min,deps-external").split(",");
  variantNames.push(...otherDirs.keys());
  const entries = new Map<string, Map<Service, string[]>>(variantNames.map((v) => [v, new Map()]));
  const entryOf = async (variant: string, name: Service): Promise<string[]> => {
    if (variant === "tsx") return ["--import", "tsx", join(ROOT, "services", name, "src", "main.ts")];
    if (variant === "bundle") return [join(ROOT, "services", name, "dist", "main.js")];
    const other = otherDirs.get(variant);
    if (other) return [join(other, name, "main.js")];
    if (variant === "bundle-min" || variant === "deps-external") return [await buildVariant(name, variant)];
    throw new Error(`unknown variant ${variant} (tsx, bundle, bundle-min, deps-external)`);
  };
  for (const [variant, byService] of entries)
    for (const name of SERVICES) byService.set(name, await entryOf(variant, name));
  const samples = new Map<string, Run[]>();
  const key = (variant: string, name: Service) => `${variant}/${name}`;
  const baseline: Run[] = [];
  // Interleaved: every run visits every variant, so load changes hit them alike.
  for (let run = 0; run < RUNS; run++) {
    baseline.push(
      await startOnce(["-e", "process.stdout.write(JSON.stringify(process.cpuUsage()))"], env, null),
    );
    for (const [variant, byService] of entries) {
      for (const name of SERVICES) {
        const s = await startOnce(byService.get(name)!, env, READY[name]);
        samples.set(key(variant, name), [...(samples.get(key(variant, name)) ?? []), s]);
      }
    }
    process.stderr.write(`run ${run + 1}/${RUNS} done\n`);
  }
  const baseWall = median(baseline.map((r) => r.ms));
  const baseCpu = median(baseline.map((r) => r.cpuMs));
  const result: StartResult = {
    runs: RUNS,
    baselineNodeMs: distribution(baseline.map((r) => r.ms)),
    baselineNodeCpuMs: Math.round(baseCpu),
    variants: {},
  };
  const ratio = (v: number, base: number) => Math.round((v / base) * 10) / 10;
  for (const [variant, byService] of entries) {
    const row: StartResult["variants"][string] = {};
    for (const name of SERVICES) {
      const runs = samples.get(key(variant, name))!;
      const file = byService.get(name)!.at(-1)!;
      const ms = distribution(runs.map((r) => r.ms));
      const cpu = median(runs.map((r) => r.cpuMs));
      row[name] = {
        ms,
        cpuMsMedian: cpu,
        rssMbMedian: Math.round(median(runs.map((r) => r.rssKb)) / 102.4) / 10,
        // What Node loads at start: the entry file and the chunks it imports statically (not those
        // a dynamic import() loads on first use).
        fileMb:
          variant.startsWith("bundle") || otherDirs.has(variant)
            ? Math.round(loadedBytes(file) / 1e5) / 10
            : null,
        wallRatio: ratio(ms.p50, baseWall),
        cpuRatio: ratio(cpu, baseCpu),
        toRedisMsMedian: Math.round(median(runs.map((r) => r.toRedisMs))),
        afterRedisMsMedian: Math.round(median(runs.map((r) => r.ms - r.toRedisMs))),
      };
    }
    result.variants[variant] = row;
    process.stdout.write(
      `${variant.padEnd(14)} ${Object.entries(row)
        .map(
          ([n, r]) =>
            `${n} p50 ${r.ms.p50} ms ×${r.wallRatio} (cpu ${r.cpuMsMedian} ms ×${r.cpuRatio}; ${r.toRedisMsMedian} + ${r.afterRedisMsMedian} ms; rss ${r.rssMbMedian} MB)`,
        )
        .join("   ")}\n`,
    );
  }
  process.stdout.write(
    `node -e        p50 ${result.baselineNodeMs.p50} ms (cpu ${result.baselineNodeCpuMs} ms)\n`,
  );
  const out = resultOut("start");
  writeResult(out, "start", describeMachine(), result);
} finally {
  rmSync(VARIANT_DIR, { recursive: true, force: true });
  await redis.stop();
}
