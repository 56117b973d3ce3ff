import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureBuilt, serviceEntry } from "../../scripts/build.mjs";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const BENCH_TMP = join(ROOT, ".tmp", "bench");

export type ServiceName = "watcher" | "worker";

export interface ServiceProcess {
  name: ServiceName;
  pid: number;
  logPath: string;
  /** Milliseconds from spawn until the service logged that it started. */
  bootMs: number;
  /** Resident set size of the process alone, from /proc (KB). */
  rssKb(): number;
  /** User + system CPU time the process used so far (ms), from /proc. */
  cpuMs(): number;
  /** Read- and write-type system calls of all its threads so far (/proc/<pid>/io syscr, syscw). */
  syscalls(): Syscalls;
  /** SIGTERM (the service drains and exits, writing its CPU profile if asked), SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing released. */
  kill(): Promise<void>;
}

export interface SpawnServiceOptions {
  /** Environment on top of PATH/HOME: what an operator would set. */
  env: Record<string, string>;
  /** Write a V8 CPU profile here on exit (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** Preload a SIGUSR2 → full GC handler (gc-on-signal.ts) so `gc()` can be asked for before reading RSS. */
  gcOnSignal?: boolean;
  readyTimeoutMs?: number;
}

/** Node flags (after `--import tsx`) that make SIGUSR2 run a full GC in the child (see gc-on-signal.ts). */
export const GC_ARGS = ["--expose-gc", "--import", join(ROOT, "bench", "support", "gc-on-signal.ts")];

/** A data: URL module with gc-on-signal.ts's handler, for processes that run without tsx. */
const GC_PRELOAD = `data:text/javascript,${encodeURIComponent('process.on("SIGUSR2",()=>{globalThis.gc?.();globalThis.gc?.();});')}`;

/** Asks a process started with GC_ARGS to collect garbage, then gives it a moment. */
export async function collectGarbage(pid: number): Promise<void> {
  process.kill(pid, "SIGUSR2");
  await new Promise((r) => setTimeout(r, 300));
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
// A bench stopped by a signal would otherwise leave its services running (no "exit" event then).
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => process.exit(signal === "SIGINT" ? 130 : 143));

const READY: Record<ServiceName, string> = {
  watcher: '"msg":"watcher started"',
  worker: '"msg":"worker started"',
};

let seq = 0;

/**
 * Runs a mailhook service the way production does: its own Node process from the bundle
 * `services/<name>/dist/main.js` (rebuilt first when a source changed), configured only through the environment, logging JSON lines to
 * stdout (here a file, as a container runtime would collect them). So the numbers include the real
 * process boundaries: Redis between watcher and worker, HTTP to the receiver.
 */
export async function spawnService(name: ServiceName, opts: SpawnServiceOptions): Promise<ServiceProcess> {
  mkdirSync(BENCH_TMP, { recursive: true });
  const logPath = join(BENCH_TMP, `${name}-${process.pid}-${++seq}.log`);
  const fd = openSync(logPath, "w");
  // BENCH_SERVICE_DIST=<dir> runs <dir>/<name>/main.js instead (a copy of another commit's dist/,
  // for an A/B of two builds in one session); the bench's own code stays this tree's.
  const dist = process.env.BENCH_SERVICE_DIST;
  if (!dist) await ensureBuilt();
  const entry = dist ? join(dist, name, "main.js") : serviceEntry(name);
  const nodeArgs = [
    ...(opts.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", opts.cpuProfDir] : []),
    // The same handler as gc-on-signal.ts, inline: preloading a .ts file through tsx made the
    // bundled service's RSS about 600 MB larger before it did anything (measured for bench/soak.ts).
    ...(opts.gcOnSignal ? ["--expose-gc", "--import", GC_PRELOAD] : []),
    // BENCH_NODE_ARGS="--flag --flag": Node or V8 flags for every service (to measure one, A/B).
    ...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean),
  ];
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...opts.env },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  void exited.then(() => live.delete(child));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} did not start`);

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    const log = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    if (log.includes(READY[name])) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not become ready (exit ${child.exitCode}); log:\n${log.slice(-2_000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const bootMs = performance.now() - started;

  return {
    name,
    pid,
    logPath,
    bootMs,
    rssKb: () => rssKb(pid),
    cpuMs: () => cpuMs(pid),
    syscalls: () => syscalls(pid),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? Number.NaN);
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function cpuMs(pid: number): number {
  // Fields after the command name (which may contain spaces) in /proc/<pid>/stat: utime is the 12th, stime the 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / TICKS_PER_SECOND;
}

export interface Syscalls {
  reads: number;
  writes: number;
}

/** The system calls of several processes together. */
export function sumSyscalls(all: readonly Syscalls[]): Syscalls {
  return all.reduce((a, s) => ({ reads: a.reads + s.reads, writes: a.writes + s.writes }), {
    reads: 0,
    writes: 0,
  });
}

/**
 * System calls are counted, not timed: a socket write saved is one fewer here whatever the host's
 * steal does to CPU time, so a round-trip lever shows in one run.
 */
export function syscalls(pid: number): Syscalls {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(io)?.[1] ?? Number.NaN);
  return { reads: field("syscr"), writes: field("syscw") };
}

/** Busy and total CPU time of the whole machine so far (ms, all cores), from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: ((total - idle) * 1000) / TICKS_PER_SECOND, total: (total * 1000) / TICKS_PER_SECOND };
}

/**
 * CPU time (ms) of every process in the process groups of the processes whose command line
 * contains `needle`: a test Dovecot (its master is started with the config path, its imap and
 * login children share the master's group) or a test Redis (`--port <n>`). Read-only /proc scan.
 */
export function groupCpuMs(needle: string): number {
  const entries = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  const stats = new Map<number, { pgid: number; ms: number }>();
  const groups = new Set<number>();
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pgid = Number(rest[2]);
      // utime + stime, plus cutime + cstime: the CPU of reaped children (Dovecot's imap processes of
      // connections that already logged out) is added to the master that waited for them.
      const ticks = Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
      stats.set(Number(pid), { pgid, ms: (ticks * 1000) / TICKS_PER_SECOND });
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle)) groups.add(pgid);
    } catch {
      // The process exited while we looked.
    }
  }
  let total = 0;
  for (const { pgid, ms } of stats.values()) if (groups.has(pgid)) total += ms;
  return total;
}
