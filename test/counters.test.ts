import { randomUUID } from "node:crypto";
import { createCounters } from "@mailhook/store";
import { startRedis, type TestRedis } from "@mailhook/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const hincrbyCalls = async () => {
  const info = await client.info("commandstats");
  return Number(/cmdstat_hincrby:calls=(\d+)/.exec(info)?.[1] ?? 0);
};

describe("shared counters (createCounters)", () => {
  it("adds up in memory and writes one HINCRBY per field per flush; close() flushes", async () => {
    const key = `k${randomUUID()}`;
    const counters = createCounters(client, key, 60_000);
    const before = await hincrbyCalls();
    for (let i = 0; i < 10; i++) {
      counters.add("fetch_messages", 2);
      counters.add("fetch_bytes", 1000);
    }
    counters.add("fetch_failed", 0);
    expect(await client.hgetall(key)).toEqual({});
    await counters.flush();
    expect(await client.hgetall(key)).toEqual({ fetch_messages: "20", fetch_bytes: "10000" });
    expect((await hincrbyCalls()) - before).toBe(2);
    counters.add("fetch_messages");
    await counters.close();
    expect(await client.hget(key, "fetch_messages")).toBe("21");
  });

  it("keeps a count whose write failed for the next flush", async () => {
    const key = `k${randomUUID()}`;
    // HINCRBY on a field that is not an integer fails (for that field only).
    await client.hset(key, "broken", "not a number");
    const counters = createCounters(client, key, 60_000);
    counters.add("broken", 3);
    counters.add("fine", 1);
    await counters.flush();
    expect(await client.hgetall(key)).toEqual({ broken: "not a number", fine: "1" });
    await client.hdel(key, "broken");
    await counters.close();
    expect(await client.hgetall(key)).toEqual({ broken: "3", fine: "1" });
  });
});
