import { createLogger } from "@mailhook/log";
import { startHealthServer } from "@mailhook/runtime";
import { freePort } from "@mailhook/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { useWorld } from "./support/world.js";

const world = useWorld();
const log = createLogger({ name: "health-test", level: "silent" });

describe("health endpoints of watcher and worker", () => {
  it("answers /healthz, and /readyz only while Redis answers", async () => {
    const redis = new Redis(world.redis.url);
    await redis.ping();
    const port = await freePort();
    const server = await startHealthServer({ port, host: "127.0.0.1", redis, log });
    try {
      const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
      expect((await get("/healthz")).status).toBe(200);
      expect((await get("/readyz")).status).toBe(200);
      expect((await get("/other")).status).toBe(404);
      redis.disconnect();
      const notReady = await get("/readyz");
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ redis: "does not answer" });
      expect((await get("/healthz")).status).toBe(200);
    } finally {
      await server?.close();
      redis.disconnect();
    }
  });

  it("starts no server on port 0", async () => {
    const redis = new Redis(world.redis.url);
    expect(await startHealthServer({ port: 0, host: "127.0.0.1", redis, log })).toBeNull();
    redis.disconnect();
  });
});
