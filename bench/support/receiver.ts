import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface Hit {
  path: string;
  webhookId: string;
  /** performance.now() when the body was complete: sub-millisecond, same clock as the appender's. */
  at: number;
  /** Date.now() at the same moment: for comparing with times other processes wrote (wall clock). */
  atWall: number;
  /** Kept only when the receiver was asked to (latency needs the payload; throughput only counts). */
  body?: string;
}

export interface BenchReceiver {
  url: string;
  hits: Hit[];
  /** Distinct webhook ids seen on `path` (a retried or duplicated delivery counts once). */
  distinct(path: string): number;
  /** Resolves when `path` has `count` distinct deliveries; rejects after `timeoutMs`. */
  waitFor(path: string, count: number, timeoutMs: number): Promise<number>;
  /**
   * Waits until no delivery has arrived for `quietMs` (at most `maxMs`), then counts every path's
   * deliveries: distinct webhook ids, and requests beyond them (the same delivery posted again).
   */
  settle(quietMs?: number, maxMs?: number): Promise<{ distinct: number; repeated: number }>;
  clear(): void;
  stop(): Promise<void>;
}

/**
 * A lean webhook receiver for benchmarks: answers 200 at once and records arrival times. Unlike
 * the test receiver it keeps no headers and (unless asked) no bodies, so 20,000 deliveries cost the
 * bench process little CPU, which it shares with mailhook on a small machine.
 */
export async function startBenchReceiver(opts: { keepBodies?: boolean } = {}): Promise<BenchReceiver> {
  const hits: Hit[] = [];
  const ids = new Map<string, Set<string>>();
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "";
      const webhookId = String(req.headers["webhook-id"] ?? "");
      const hit: Hit = { path, webhookId, at: performance.now(), atWall: Date.now() };
      if (opts.keepBodies) hit.body = Buffer.concat(chunks).toString("utf8");
      hits.push(hit);
      const set = ids.get(path) ?? new Set<string>();
      ids.set(path, set);
      set.add(webhookId);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
      for (const wake of waiters) wake();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const distinct = (path: string) => ids.get(path)?.size ?? 0;

  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    distinct,
    waitFor(path, count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (distinct(path) < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(performance.now());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`receiver got ${distinct(path)} of ${count} deliveries on ${path} in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async settle(quietMs = 1_000, maxMs = 30_000) {
      const until = performance.now() + maxMs;
      for (;;) {
        const last = hits.at(-1)?.at ?? 0;
        const now = performance.now();
        if (now - last >= quietMs || now >= until) break;
        await new Promise((r) => setTimeout(r, Math.min(quietMs - (now - last), until - now) + 1));
      }
      let all = 0;
      for (const set of ids.values()) all += set.size;
      return { distinct: all, repeated: hits.length - all };
    },
    clear() {
      hits.length = 0;
      ids.clear();
    },
    stop() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
