import { randomUUID } from "node:crypto";
import { createLogger } from "@mailhook/log";
import { createConfigCaches, createMailboxCache } from "@mailhook/pipeline";
import { validateRules } from "@mailhook/rules";
import {
  createRuleHealth,
  createSecretBox,
  createStore,
  generateKeySpec,
  type Mailbox,
} from "@mailhook/store";
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

describe("worker config caches (createConfigCaches)", () => {
  const until = async (what: string, ok: () => Promise<boolean> | boolean, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const setup = async () => {
    const store = createStore({
      redis: client,
      prefix: `c${randomUUID().slice(0, 8)}`,
      secrets: createSecretBox(generateKeySpec("k1")),
    });
    const caches = await createConfigCaches({
      store,
      health: createRuleHealth(store, { strikes: 3 }),
      log: createLogger({ name: "test", level: "silent" }),
      maxAgeMs: 600_000,
      fallbackMaxAgeMs: 300,
      // Pings overdue only after 5 s: a loaded machine cannot turn the caches untrusting mid-test.
      pingEveryMs: 2_000,
    });
    // Written around the store: no change notice, as redis-cli would.
    const bypass = async (password: string) => {
      const raw = await client.hget(store.keys.mailboxes, "t/m");
      await store.putMailbox(mailbox(password));
      const sealed = await client.hget(store.keys.mailboxes, "t/m");
      await client.hset(store.keys.mailboxes, "t/m", raw ?? "");
      return sealed ?? "";
    };
    return { store, caches, bypass };
  };

  it("keeps an entry past the fallback age while notices arrive, and drops it on the store's notice", async () => {
    const { store, caches, bypass } = await setup();
    try {
      await store.putMailbox(mailbox("one"));
      await until("the first ping", () => caches.live());
      await caches.synced();
      expect((await caches.mailboxes.get("t", "m"))?.password).toBe("one");
      // Sealed "two" is made without a notice reaching the cache: putMailbox's notice is passed
      // (synced) while the stored value is still "one".
      const sealedTwo = await bypass("two");
      await caches.synced();
      expect((await caches.mailboxes.get("t", "m"))?.password).toBe("one");
      await client.hset(store.keys.mailboxes, "t/m", sealedTwo);
      // Twice the fallback age later the entry is still served: only a notice or the long bound ends it.
      await new Promise((r) => setTimeout(r, 700));
      expect(caches.live()).toBe(true);
      expect((await caches.mailboxes.get("t", "m"))?.password).toBe("one");
      await store.putMailbox(mailbox("three"));
      await until("the notice", async () => (await caches.mailboxes.get("t", "m"))?.password === "three");
    } finally {
      await caches.close();
    }
  });

  it("drops every entry when its subscription was lost, however briefly", async () => {
    const { store, caches } = await setup();
    try {
      await store.putMailbox(mailbox("one"));
      await until("the first ping", () => caches.live());
      await caches.synced();
      expect((await caches.mailboxes.get("t", "m"))?.password).toBe("one");
      const sealedOne = await client.hget(store.keys.mailboxes, "t/m");
      await store.putMailbox(mailbox("two"));
      await caches.synced();
      expect((await caches.mailboxes.get("t", "m"))?.password).toBe("two");
      // Back to "one" without a notice, then the subscription is cut: a notice sent meanwhile is lost.
      await client.hset(store.keys.mailboxes, "t/m", sealedOne ?? "");
      expect((await caches.mailboxes.get("t", "m"))?.password).toBe("two");
      await client.client("KILL", "TYPE", "pubsub");
      await until(
        "the entry read again",
        async () => (await caches.mailboxes.get("t", "m"))?.password === "one",
      );
      await until("pings to come back", () => caches.live());
    } finally {
      await caches.close();
    }
  });

  it("sees a rule suspended by another worker through its notice", async () => {
    const { store, caches } = await setup();
    try {
      const v = validateRules([
        {
          id: "r",
          name: "r",
          when: { field: "subject", op: "contains", value: "x" },
          actions: [{ type: "webhook", endpoint: "hook" }],
        },
      ]);
      if (!v.ok) throw new Error(JSON.stringify(v.problems));
      await store.putRules("t", v.rules);
      await until("the first ping", () => caches.live());
      expect((await caches.rules.forFolder("t", "m", "INBOX")).compiled.rules).toHaveLength(1);
      const other = createRuleHealth(store, { strikes: 1 });
      await other.record("t", { ruleId: "r", budgetMs: 1, mailboxId: "m", folder: "INBOX", uid: 1 });
      await until(
        "the suspension",
        async () => (await caches.rules.forFolder("t", "m", "INBOX")).compiled.rules.length === 0,
      );
    } finally {
      await caches.close();
    }
  });
});
