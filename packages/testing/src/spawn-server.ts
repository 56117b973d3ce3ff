import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { sleep } from "./free-port.js";

/** A detached child whose recent stderr/stdout is kept for error messages. */
export interface SpawnedServer {
  child: ChildProcess;
  output(): string;
  /** Set once the child has exited; lets waiters fail fast instead of timing out. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

const OUTPUT_LIMIT = 8_192;

export function spawnServer(command: string, args: string[], cwd: string): SpawnedServer {
  // detached: own process group, so one SIGKILL to -pid reaches every process the server forks.
  const child = spawn(command, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) {
    // Spawn failures (ENOENT, EACCES) are only reported through a later 'error' event.
    child.on("error", () => {});
    throw new Error(`cannot start ${command}: not found or not executable`);
  }
  let output = "";
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  child.on("exit", (code, signal) => {
    exit = { code, signal };
  });
  // The harness must never keep a test process alive on its own.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  return { child, output: () => output, exited: () => exit };
}

/**
 * Opens TCP connections to `port` until the server says `probe.expect`, the child exits, or the
 * timeout passes. `expect` should be unique to this child: freePort() races with other processes,
 * and a probe that any server could pass might succeed against someone else's server.
 */
export async function waitForServer(
  server: SpawnedServer,
  port: number,
  probe: { send?: string; expect: string },
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    const exit = server.exited();
    if (exit) {
      throw new Error(
        `${describe()} exited during startup (code ${exit.code}, signal ${exit.signal}):\n${server.output()}`,
      );
    }
    try {
      await probeOnce(port, probe, Math.max(250, Math.min(2_000, deadline - Date.now())));
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${describe()} did not answer on 127.0.0.1:${port} within ${timeoutMs} ms (${lastError}):\n${server.output()}`,
      );
    }
    await sleep(20);
  }
}

function probeOnce(port: number, probe: { send?: string; expect: string }, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = "";
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new Error(`no "${probe.expect}" in ${JSON.stringify(received.slice(0, 200))}`)),
      timeoutMs,
    );
    socket.once("connect", () => {
      if (probe.send) socket.write(probe.send);
    });
    // Keep reading past other lines: Dovecot may first say it is waiting for its auth process.
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (received.includes(probe.expect)) done();
    });
    socket.once("error", (err) => done(err));
    socket.once("close", () =>
      done(new Error(`connection closed after ${JSON.stringify(received.slice(0, 200))}`)),
    );
  });
}
