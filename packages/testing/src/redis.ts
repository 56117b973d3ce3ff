import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findExecutable } from "./binaries.js";
import { trackDir, trackGroup } from "./children.js";
import { freePort } from "./free-port.js";
import { spawnServer, waitForServer } from "./spawn-server.js";

export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** SIGKILLs the server and removes its temp dir. */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const MISSING =
  "redis-server is not installed: install the Debian package redis-server (apt-get install -y redis-server)";

/**
 * Starts a throw-away `redis-server` on a free 127.0.0.1 port with persistence off, and resolves
 * once it answers commands.
 *
 * @example
 * const redis = await startRedis();
 * const client = new Redis(redis.url);
 * afterAll(() => redis.stop());
 */
export async function startRedis(opts: { args?: () => Promise<string[]> } = {}): Promise<TestRedis> {
  const bin = findExecutable("redis-server");
  if (!bin) throw new Error(MISSING);
  const dir = mkdtempSync(join(tmpdir(), "mailhook-redis-"));
  // Like every harness dir: readable for whoever debugs a failed run.
  chmodSync(dir, 0o755);
  const removeDir = trackDir(dir);
  let lastError: unknown;
  // The free port can be taken between freePort() and redis' bind; a fresh port fixes that.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    let server: ReturnType<typeof spawnServer>;
    try {
      server = spawnServer(
        bin,
        [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
          "--dir",
          dir,
          ...((await opts.args?.()) ?? []),
        ],
        dir,
      );
    } catch (err) {
      removeDir();
      throw err;
    }
    const kill = trackGroup(server.child, dir);
    try {
      // The answer names this instance's own dir, so it cannot come from another Redis.
      await waitForServer(
        server,
        port,
        { send: "CONFIG GET dir\r\n", expect: dir },
        10_000,
        () => "redis-server",
      );
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        async stop() {
          await kill();
          removeDir();
        },
      };
    } catch (err) {
      lastError = err;
      await kill();
    }
  }
  removeDir();
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
