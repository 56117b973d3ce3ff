import { randomUUID } from "node:crypto";
import { createMailboxCache } from "@mailhook/pipeline";
import { createSecretBox, createStore, generateKeySpec, type Mailbox } from "@mailhook/store";
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

const mailbox = (password: string): Mailbox => ({
  tenantId: "t",
  id: "m",
  address: "m@example.test",
  host: "imap.example.test",
  port: 993,
  tls: "implicit",
  tlsVerify: true,
  user: "m",
  password,
  folders: ["INBOX"],
  start: "new",
  enabled: true,
  managed: "api",
  updatedAt: new Date().toISOString(),
});

describe("worker mailbox cache", () => {
  it("serves repeated lookups from memory, and sees an edit after forget() or the age bound", async () => {
    const store = createStore({
      redis: client,
      prefix: `c${randomUUID().slice(0, 8)}`,
      secrets: createSecretBox(generateKeySpec("k1")),
    });
    await store.putMailbox(mailbox("one"));
    const cache = createMailboxCache(store, 300);
    expect((await cache.get("t", "m"))?.password).toBe("one");
    await store.putMailbox(mailbox("two"));
    expect((await cache.get("t", "m"))?.password).toBe("one");
    cache.forget("t", "m");
    expect((await cache.get("t", "m"))?.password).toBe("two");
    await store.putMailbox(mailbox("three"));
    await new Promise((r) => setTimeout(r, 350));
    expect((await cache.get("t", "m"))?.password).toBe("three");
    await store.deleteMailbox("t", "m");
    cache.forget("t", "m");
    expect(await cache.get("t", "m")).toBeNull();
  });
});
