import { generateKeySpec } from "@mailhook/store";
import { freePort, startRedis } from "@mailhook/testing";
import { describe, expect, it } from "vitest";
import { runService, type ServiceRun } from "./support/process.js";
import { waitUntil } from "./support/stack.js";

// Operators feed the services' output to log pipelines that expect one JSON object per line: a
// Redis that is down or goes away must produce JSON lines, never raw multi-line stack traces.
const lines = (run: ServiceRun) =>
  `${run.stdout()}${run.stderr()}`.split("\n").filter((l) => l.trim() !== "");
const notJson = (run: ServiceRun) =>
  lines(run).filter((l) => {
    try {
      return typeof JSON.parse(l) !== "object";
    } catch {
      return true;
    }
  });
const redisErrors = (run: ServiceRun) =>
  lines(run).filter((l) => /redis (connection|queue|subscriber) error|worker error/.test(l));

async function stop(run: ServiceRun): Promise<void> {
  run.child.kill("SIGKILL");
  await run.exited;
}

describe("logs are JSON lines when Redis fails", () => {
  it("with Redis down at start, every service waits for it and writes only JSON lines", async () => {
    const env = {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      MAILHOOK_PREFIX: "nojson",
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
    };
    const runs = (["api", "watcher", "worker"] as const).map((name) => runService(name, env));
    try {
      for (const run of runs)
        await waitUntil(() => redisErrors(run).length >= 3, 30_000, "three redis errors");
      for (const run of runs) {
        expect(notJson(run)).toEqual([]);
        expect(run.child.exitCode).toBeNull();
      }
    } finally {
      await Promise.all(runs.map(stop));
    }
  });

  it("when Redis goes away under running services, their output stays JSON lines", async () => {
    const redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      MAILHOOK_PREFIX: "gone",
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
    };
    const runs = (["api", "watcher", "worker"] as const).map((name) => runService(name, env));
    try {
      const started = [/api listening/, /watcher started/, /worker started/];
      await waitUntil(() => runs.every((r, i) => started[i]!.test(r.stdout())), 30_000, "services started");
      await redis.stop();
      for (const run of runs)
        await waitUntil(() => redisErrors(run).length >= 5, 30_000, "redis errors logged");
      for (const run of runs) {
        expect(notJson(run)).toEqual([]);
        expect(run.child.exitCode).toBeNull();
      }
    } finally {
      await Promise.all(runs.map(stop));
      await redis.stop().catch(() => {});
    }
  });
});
