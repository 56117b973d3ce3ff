import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FrameMapper } from "./source-maps.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time grouped by where the code lives: a package, Node internals, GC, idle. */
  byModule: ProfileShare[];
  /**
   * The same with Node's internals and native code folded into the package that called them, e.g.
   * a socket write issued by ioredis counts for ioredis: which library's work the process does.
   */
  byCallingModule: ProfileShare[];
  /** Self time of the hottest functions, `name (module:line)`. */
  byFunction: ProfileShare[];
  /**
   * mailhook's own functions with the time of everything they call synchronously (an async
   * function's awaited work is attributed to whoever resumes it, so this is a lower bound).
   */
  ownInclusive: ProfileShare[];
}

/** Where a script URL belongs: `imapflow`, `@mailhook/mime`, `node:internal`, … */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pnpm = url.match(/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pnpm) return pnpm[1]!;
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return nm[1]!;
  const own = url.match(/\/(packages|services)\/([^/]+)\//);
  if (own) return `@mailhook/${own[2]}`;
  if (url.startsWith("node:")) return "node:internal";
  const bench = url.match(/\/(bench\/.+)$/);
  return bench ? bench[1]! : url.replace(/^file:\/\//, "");
}

/**
 * Summarises one `.cpuprofile`: self time per module and per function, largest first. Frames of
 * a bundle with a source map (the services' `dist/main.js`) are first mapped back to their source
 * file, so the bundle's time is attributed to the packages it was built from.
 */
export function summarizeProfile(path: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const mapper = new FrameMapper();
  for (const n of profile.nodes) n.callFrame = { ...n.callFrame, ...mapper.map(n.callFrame) };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const modules = new Map<string, number>();
  const callingModules = new Map<string, number>();
  const functions = new Map<string, number>();
  const own = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (frame: ProfileNode["callFrame"], mod: string) => {
    const file = frame.url.split("/").pop() ?? "";
    return `${frame.functionName || "(anonymous)"} (${file ? `${file}:${frame.lineNumber + 1}` : mod})`;
  };
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    total += us;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f || !/\/(packages|services)\/[^/]+\/src\//.test(f.url)) continue;
      const key = label(f, "");
      if (seen.has(key)) continue;
      seen.add(key);
      own.set(key, (own.get(key) ?? 0) + us);
    }
    const mod = moduleOf(frame.url, frame.functionName);
    modules.set(mod, (modules.get(mod) ?? 0) + us);
    let caller = mod;
    for (
      let cur = parent.get(id);
      (caller === "node:internal" || caller === "(native)") && cur !== undefined;
      cur = parent.get(cur)
    ) {
      const f = byId.get(cur)?.callFrame;
      if (f) caller = moduleOf(f.url, f.functionName);
    }
    // Internals with no package above them: event-loop callbacks (socket reads, timers, microtasks).
    if (caller === "(root)") caller = "(Node internals, no package caller)";
    callingModules.set(caller, (callingModules.get(caller) ?? 0) + us);
    const fn = label(frame, mod);
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const shares = (m: Map<string, number>): ProfileShare[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        percent: Math.round((1000 * us) / Math.max(total, 1)) / 10,
      }));
  return {
    file: path,
    totalMs: Math.round(total / 1000),
    byModule: shares(modules),
    byCallingModule: shares(callingModules),
    byFunction: shares(functions),
    ownInclusive: shares(own),
  };
}

/**
 * The main-thread profiles in a `--cpu-prof-dir`. Files are named CPU.<date>.<time>.<pid>.<tid>.<seq>;
 * thread 0 is the main thread (tsx's module loader writes its own, uninteresting, thread profile).
 */
export function summarizeProfiles(dir: string, top = 15): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .sort()
    .map((f) => summarizeProfile(join(dir, f), top));
}

/** Profiles written by `startMailhook({ cpuProfDir })`: one subfolder per service. */
export function summarizeServiceProfiles(dir: string, top = 15): Record<string, ProfileSummary[]> {
  const out: Record<string, ProfileSummary[]> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out[entry.name] = summarizeProfiles(join(dir, entry.name), top);
  }
  return out;
}
