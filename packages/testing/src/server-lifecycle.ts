import { trackGroup } from "./children.js";
import type { SpawnedServer } from "./spawn-server.js";
import { waitForServer } from "./spawn-server.js";

/** What each test IMAP server shares: a killable process group on ports picked at first start. */
export interface ServerLifecycle<P> {
  /** The ports of the first successful start (kept across kill/start). */
  ports(): P;
  /** SIGKILL to the whole process group; the directory stays so that start() brings it back. */
  kill(): Promise<void>;
  /** Starts it again on the same ports (waits until they can be bound). */
  start(): Promise<void>;
  /** kill() and remove the directory. */
  stop(): Promise<void>;
}

export interface LifecycleOptions<P> {
  /** Fresh ports for a first-start attempt; may also write the config that names them. */
  pickPorts(): Promise<P>;
  /** Spawns the server for these ports (see `spawnAndWait`) and returns its kill function. */
  launch(ports: P): Promise<() => Promise<void>>;
  /** Resolves once every port can be bound again after a kill. */
  bindable(ports: P): Promise<void>;
  /** Removes the server's directory (called when the first start fails and on stop()). */
  removeDir(): void;
  /** First-start attempts (a port picked by freePort() can be taken before the server binds it). */
  attempts?: number;
  /** Runs once before the first attempt (e.g. creating an admin user); a throw fails the start. */
  prepare?(): Promise<void>;
}

/** First start with a few port picks, then kill/start/stop that keep those ports. */
export async function startLifecycle<P>(o: LifecycleOptions<P>): Promise<ServerLifecycle<P>> {
  let ports: P | undefined;
  let killCurrent: (() => Promise<void>) | undefined;
  let lastError: unknown;
  try {
    await o.prepare?.();
    for (let attempt = 0; attempt < (o.attempts ?? 3) && !killCurrent; attempt++) {
      ports = await o.pickPorts();
      try {
        killCurrent = await o.launch(ports);
      } catch (err) {
        lastError = err;
      }
    }
  } catch (err) {
    lastError = err;
  }
  if (!killCurrent || ports === undefined) {
    o.removeDir();
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
  const fixed = ports;
  const kill = async () => {
    const current = killCurrent;
    killCurrent = undefined;
    await current?.();
  };
  return {
    ports: () => fixed,
    kill,
    async start() {
      if (killCurrent) return;
      await o.bindable(fixed);
      killCurrent = await o.launch(fixed);
    },
    async stop() {
      await kill();
      o.removeDir();
    },
  };
}

/**
 * Tracks the spawned server's process group and waits for its greeting on `port`; on failure the
 * group is killed and the error (optionally enriched, e.g. with a log tail) is thrown.
 */
export async function spawnAndWait(
  server: SpawnedServer,
  dir: string,
  port: number,
  probe: { send?: string; expect: string },
  timeoutMs: number,
  name: string,
  enrich: (err: unknown) => unknown = (err) => err,
): Promise<() => Promise<void>> {
  const kill = trackGroup(server.child, dir);
  try {
    await waitForServer(server, port, probe, timeoutMs, () => name);
  } catch (err) {
    await kill();
    throw enrich(err);
  }
  return kill;
}
