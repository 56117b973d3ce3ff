import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { findExecutable } from "./binaries.js";
import { trackDir, trackGroup } from "./children.js";
import { freePort, sleep } from "./free-port.js";
import { startRedis, type TestRedis } from "./redis.js";
import { spawnServer, waitForServer } from "./spawn-server.js";

export interface TestRedisSentinel {
  /** The name the sentinels know the primary by (`REDIS_SENTINEL_NAME`). */
  name: string;
  /** `127.0.0.1:p1,127.0.0.1:p2,…` (the `REDIS_SENTINELS` form). */
  sentinelList: string;
  sentinels: { host: string; port: number }[];
  /** The data servers: the first one starts as primary, the others as its replicas. */
  servers: TestRedis[];
  /** The port of the server the sentinels name as primary right now. */
  primaryPort(): Promise<number>;
  /**
   * `SENTINEL FAILOVER <name>`, then waits (up to `timeoutMs`) until every sentinel names a new
   * primary and that server answers as master. Returns the new primary's port.
   */
  failover(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const MASTER_NAME = "mhprimary";

/**
 * A throw-away Redis primary with `replicas` replicas and `sentinels` `redis-server --sentinel`
 * processes (quorum: a majority), all on free 127.0.0.1 ports; resolves once the replicas are in
 * sync and every sentinel knows the primary and its replicas.
 *
 * @example
 * const s = await startRedisSentinel();
 * const redis = new Redis({ sentinels: s.sentinels, name: s.name });
 * await s.failover();
 * afterAll(() => s.stop());
 */
export async function startRedisSentinel(opts: { replicas?: number; sentinels?: number } = {}) {
  const bin = findExecutable("redis-server");
  if (!bin) throw new Error("redis-server is not installed: apt-get install -y redis-server");
  const servers: TestRedis[] = [];
  const kills: (() => Promise<void>)[] = [];
  const dirs: (() => void)[] = [];
  const stop = async () => {
    await Promise.all([...kills.map((k) => k()), ...servers.map((s) => s.stop())]);
    for (const d of dirs) d();
  };
  try {
    const primary = await startRedis();
    servers.push(primary);
    for (let i = 0; i < (opts.replicas ?? 1); i++)
      servers.push(
        await startRedis({ args: async () => ["--replicaof", "127.0.0.1", String(primary.port)] }),
      );
    for (const s of servers.slice(1)) await waitInfo(s.port, "replication", /master_link_status:up/, 30_000);

    const count = opts.sentinels ?? 3;
    const quorum = Math.floor(count / 2) + 1;
    const sentinels: { host: string; port: number }[] = [];
    for (let i = 0; i < count; i++) {
      const dir = mkdtempSync(join(tmpdir(), "mailhook-sentinel-"));
      chmodSync(dir, 0o755);
      dirs.push(trackDir(dir));
      const port = await freePort();
      // Sentinel rewrites its config file (known replicas, other sentinels, the epoch): its own copy.
      const conf = join(dir, "sentinel.conf");
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary.port} ${quorum}`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 3000`,
          `sentinel failover-timeout ${MASTER_NAME} 20000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          "",
        ].join("\n"),
      );
      const server = spawnServer(bin, [conf, "--sentinel"], dir);
      kills.push(trackGroup(server.child, dir));
      await waitForServer(
        server,
        port,
        { send: `SENTINEL GET-MASTER-ADDR-BY-NAME ${MASTER_NAME}\r\n`, expect: String(primary.port) },
        15_000,
        () => "redis-server --sentinel",
      );
      sentinels.push({ host: "127.0.0.1", port });
    }
    const ask = async <T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> => {
      const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await r.connect();
        return await fn(r);
      } finally {
        r.disconnect();
      }
    };
    const primaryOf = (port: number) =>
      ask(port, async (r) => {
        const addr = (await r.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[] | null;
        return Number(addr?.[1] ?? 0);
      });
    const knowsAll = async (port: number) =>
      ask(port, async (r) => {
        const master = (await r.call("SENTINEL", "MASTER", MASTER_NAME)) as string[];
        const field = (name: string) => Number(master[master.indexOf(name) + 1] ?? 0);
        return field("num-slaves") >= servers.length - 1 && field("num-other-sentinels") >= count - 1;
      });
    // A failover needs a replica the sentinels know and, for agreement, the other sentinels.
    const deadline = Date.now() + 60_000;
    for (const s of sentinels) {
      while (!(await knowsAll(s.port).catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`sentinel ${s.port} never saw its replicas and peers`);
        await sleep(200);
      }
    }
    return {
      name: MASTER_NAME,
      sentinels,
      sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(","),
      servers,
      primaryPort: () => primaryOf(sentinels[0]!.port),
      async failover(timeoutMs = 60_000) {
        const before = await primaryOf(sentinels[0]!.port);
        await ask(sentinels[0]!.port, (r) => r.call("SENTINEL", "FAILOVER", MASTER_NAME));
        const until = Date.now() + timeoutMs;
        for (;;) {
          const named = await Promise.all(sentinels.map((s) => primaryOf(s.port).catch(() => 0)));
          const next = named[0] ?? 0;
          if (next !== before && next !== 0 && named.every((p) => p === next)) {
            const role = await ask(next, (r) => r.call("ROLE")).catch(() => null);
            if (Array.isArray(role) && role[0] === "master") return next;
          }
          if (Date.now() > until) throw new Error(`sentinel failover did not complete: ${named.join(",")}`);
          await sleep(200);
        }
      },
      stop,
    } satisfies TestRedisSentinel;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitInfo(port: number, section: string, pattern: RegExp, timeoutMs: number) {
  const r = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  try {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(await r.info(section))) {
      if (Date.now() > deadline) throw new Error(`redis ${port}: ${pattern} not reached in ${section}`);
      await sleep(100);
    }
  } finally {
    r.disconnect();
  }
}
