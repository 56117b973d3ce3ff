// Runs child processes of `npm start` in process groups of their own and stops them in order.
//
// Why their own groups: Ctrl-C sends SIGINT to the terminal's whole foreground group. Children in
// that group would get it directly (Redis stopping while the services still drain, every service
// getting a second signal from us and exiting at once). Detached, only npm and start.mjs get the
// terminal's signal, and start.mjs alone decides the order: services first, then Redis.
import { spawn } from "node:child_process";
import { say } from "./bootstrap.mjs";

/** How long services may drain after SIGTERM before they are killed. */
const GRACE_MS = 30_000;

export function createSupervisor() {
  /** @type {{ name: string, child: import("node:child_process").ChildProcess, tier: number }[]} */
  const procs = [];
  let stopping = null;

  const alive = (p) => p.child.exitCode === null && p.child.signalCode === null;
  // "close", not "exit": its last log lines may still be in the pipe when the process has exited.
  const exited = (p) => p.closed;

  async function stopTier(tier) {
    const group = procs.filter((p) => p.tier === tier && alive(p));
    for (const p of group) p.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      for (const p of group.filter(alive)) {
        say(`${p.name} did not stop within ${GRACE_MS / 1000} s; killing it`);
        p.child.kill("SIGKILL");
      }
    }, GRACE_MS);
    await Promise.all(group.map(exited));
    clearTimeout(timer);
  }

  /** Stops every tier, highest first (services), then exits with `code`. Idempotent. */
  function stopAll(code, why) {
    if (stopping) return stopping;
    if (why) say(why);
    stopping = (async () => {
      const tiers = [...new Set(procs.map((p) => p.tier))].sort((a, b) => b - a);
      for (const tier of tiers) {
        const names = procs.filter((p) => p.tier === tier && alive(p)).map((p) => p.name);
        if (names.length > 0) say(`stopping ${names.join(", ")}`);
        await stopTier(tier);
      }
      say("stopped");
      process.exit(code);
    })();
    return stopping;
  }

  /**
   * Spawns a child in its own process group. Tier orders the shutdown: higher tiers stop first.
   * A child that exits on its own stops everything else.
   */
  function run(name, cmd, args, opts, tier) {
    return adopt(name, spawn(cmd, args, { ...opts, detached: true }), tier);
  }

  /** Takes over a child spawned elsewhere (detached: true), like run(). */
  function adopt(name, child, tier) {
    const p = { name, child, tier, closed: new Promise((r) => child.once("close", r)) };
    procs.push(p);
    child.once("exit", (code, signal) => {
      if (stopping) return;
      stopAll(
        code === 0 || code === null ? 1 : code,
        `${name} exited (${signal ?? `code ${code}`}); stopping the others`,
      );
    });
    return child;
  }

  // Ctrl-C (SIGINT to npm and us), SIGTERM or SIGHUP to us: stop in order.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stopAll(0));
  // SIGTERM to npm: npm exits, and our parent changes. Nothing else would tell us.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stopAll(0, "the parent process (npm) is gone; stopping");
  }, 250).unref();
  // If we crash, children in their own groups would survive us: take them down.
  process.on("exit", () => {
    for (const p of procs) if (alive(p)) p.child.kill("SIGKILL");
  });

  return { run, adopt, stopAll };
}
