import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";

/**
 * Every server the harness spawns runs detached in its own process group, so one SIGKILL to the
 * group takes down Dovecot's master together with its login/imap/auth children. This module keeps
 * the list of live groups and temp dirs, and makes sure a failed or aborted test run leaves none
 * behind: a process 'exit' hook covers normal exits and thrown errors, and a tiny shell watchdog
 * per child covers the case where the test process itself is SIGKILLed (no hook runs then).
 */

interface Tracked {
  pgid: number;
  watchdog: ChildProcess | undefined;
}

const groups = new Set<Tracked>();
const dirs = new Set<string>();
let hooked = false;

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function cleanupAll(): void {
  for (const tracked of groups) {
    killGroup(tracked.pgid);
    if (tracked.watchdog?.pid) killGroup(tracked.watchdog.pid);
  }
  groups.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", cleanupAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // Only take over the signal when nobody else handles it, so a test runner keeps its own
    // shutdown logic; re-raising after cleanup keeps the default "terminate" behaviour.
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      cleanupAll();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Watches the test process and kills `pgid` (and removes `dir`) when the test process disappears.
 * It polls once a second: one idle shell plus a short-lived `sleep` per watched child.
 */
function startWatchdog(pgid: number, dir: string | undefined): ChildProcess | undefined {
  const rm = dir ? `; rm -rf '${dir.replaceAll("'", "")}'` : "";
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL -${pgid} 2>/dev/null${rm}`;
  try {
    const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
    return child;
  } catch {
    return undefined;
  }
}

/** Registers a detached child (its pid is its process group id). Returns a function that kills it. */
export function trackGroup(child: ChildProcess, dir?: string): () => Promise<void> {
  installHooks();
  const pgid = child.pid;
  if (pgid === undefined) throw new Error("child has no pid");
  const tracked: Tracked = { pgid, watchdog: startWatchdog(pgid, dir) };
  groups.add(tracked);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  let killed = false;
  return async () => {
    // Only once: after the group is gone its id may be reused by an unrelated process group.
    if (killed) return exited;
    killed = true;
    groups.delete(tracked);
    // The child is unref'd so it never keeps a test alive; while we wait for its exit it must
    // count, or Node may find an empty event loop and quit with an unsettled promise.
    child.ref();
    killGroup(pgid);
    if (tracked.watchdog?.pid) killGroup(tracked.watchdog.pid);
    await exited;
    child.unref();
  };
}

/** Registers a temp dir for removal at process exit. */
export function trackDir(dir: string): () => void {
  installHooks();
  dirs.add(dir);
  return () => {
    dirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };
}
