import { createLogger } from "@mailhook/log";
import { createConsumer, createProducer } from "@mailhook/queue";
import { createRuntime, parseEnv, type Runtime } from "@mailhook/runtime";
import { createLeases, createMembership, generateKeySpec } from "@mailhook/store";
import { startRedisSentinel, type TestRedisSentinel } from "@mailhook/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { endpointFor, LogCapture, mailboxFor, deliveryRecord as record, waitUntil } from "./support/stack.js";

// A real primary + replica watched by 3 `redis-server --sentinel` processes. mailhook is configured
// only the documented way (REDIS_SENTINELS, REDIS_SENTINEL_NAME) and goes through createRuntime like
// every service. No timing asserts: each step waits, generously, for the state it needs.
let sentinel: TestRedisSentinel;
let runtime: Runtime | undefined;
beforeAll(async () => {
  sentinel = await startRedisSentinel({ replicas: 1, sentinels: 3 });
}, 180_000);
afterAll(async () => {
  await runtime?.close();
  await sentinel?.stop();
});

const servedBy = async (rt: Runtime) => Number(/tcp_port:(\d+)/.exec(await rt.redis.info("server"))?.[1]);

it("store, leases and a queue on the primary Sentinel names; after SENTINEL FAILOVER they carry on with nothing acknowledged lost", async () => {
  const prefix = "sent";
  const env = parseEnv({
    REDIS_SENTINELS: sentinel.sentinelList,
    REDIS_SENTINEL_NAME: sentinel.name,
    MAILHOOK_PREFIX: prefix,
    MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
  });
  const logs = new LogCapture();
  runtime = await createRuntime(env, createLogger({ name: "sentinel-test", destination: logs }));
  const rt = runtime;
  const first = await sentinel.primaryPort();
  expect(await servedBy(rt)).toBe(first);

  // Acknowledged state: store records, leases with fenced cursors, a membership heartbeat, 10 jobs.
  const imap = { port: 1 };
  for (let i = 0; i < 5; i++)
    await rt.store.putMailbox(mailboxFor(imap, { user: `u${i}`, pass: `p${i}` }, `m${i}`));
  await rt.store.putEndpoint(endpointFor("http://127.0.0.1:1/hook"));
  for (let i = 0; i < 5; i++) expect((await rt.store.createDelivery(record(`msg_${i}`))).created).toBe(true);
  const leases = createLeases({ redis: rt.redis, prefix, ownerId: "w1", ttlMs: 120_000 });
  const rival = createLeases({ redis: rt.redis, prefix, ownerId: "w2", ttlMs: 120_000 });
  const refs = Array.from({ length: 5 }, (_, i) => ({ tenantId: "default", mailboxId: `m${i}` }));
  const held = await leases.acquireMany(refs);
  expect(held.every((l) => l !== null)).toBe(true);
  for (const [i, l] of held.entries())
    expect(
      await rt.store.advanceCursor(
        "default",
        `m${i}`,
        "INBOX",
        { uidValidity: 9, lastUid: 10 + i },
        l!.token,
        true,
      ),
    ).toBe(true);
  const membership = createMembership({ redis: rt.redis, prefix, ttlMs: 120_000 });
  await membership.heartbeat("w1", 0);

  const producer = createProducer("webhook.deliver", { connection: rt.bullConnection, prefix });
  const seen: string[] = [];
  const consumer = createConsumer(
    "webhook.deliver",
    { connection: rt.bullConnection, prefix, concurrency: 4 },
    async (d) => {
      seen.push(d.deliveryId);
    },
  );
  consumer.on("error", () => {}); // reconnect noise during the failover
  const jobs = (from: number) =>
    Array.from({ length: 10 }, (_, i) => ({
      jobId: `j${from + i}`,
      data: { tenantId: "default", deliveryId: `d${from + i}` },
    }));
  await producer.addBulk(jobs(0));
  await waitUntil(() => seen.length >= 10, 60_000, "the first 10 jobs consumed");
  // Acknowledged = on the replica too (Redis replicates asynchronously; WAIT is how a writer knows).
  expect(await rt.redis.wait(1, 30_000)).toBeGreaterThanOrEqual(1);

  const next = await sentinel.failover(90_000);
  expect(next).not.toBe(first);
  // ioredis asks the sentinels again once the old primary drops it; wait for that, then check.
  await waitUntil(
    async () => (await servedBy(rt).catch(() => 0)) === next,
    90_000,
    "the client on the new primary",
  );

  expect((await rt.store.listMailboxes()).map((m) => m.id).sort()).toEqual(["m0", "m1", "m2", "m3", "m4"]);
  expect((await rt.store.getMailbox("default", "m3"))?.password).toBe("p3");
  expect((await rt.store.getEndpoint("default", "hook"))?.url).toBe("http://127.0.0.1:1/hook");
  for (let i = 0; i < 5; i++) expect((await rt.store.getDelivery(`msg_${i}`))?.status).toBe("pending");
  for (let i = 0; i < 5; i++)
    expect((await rt.store.getCursor("default", `m${i}`, "INBOX"))?.lastUid).toBe(10 + i);
  expect(await leases.renewMany(held.map((l) => l!))).toEqual(refs.map(() => true));
  expect((await rival.acquireMany(refs)).every((l) => l === null)).toBe(true);
  expect(
    await rt.store.advanceCursor("default", "m0", "INBOX", { uidValidity: 9, lastUid: 99 }, "stale"),
  ).toBe(false);
  await membership.heartbeat("w1", 0);
  expect((await membership.live()).members.map((m) => m.id)).toEqual(["w1"]);

  // Writes and the queue work on the new primary: the same producer and consumer, reconnected.
  await rt.store.putMailbox(mailboxFor(imap, { user: "u5", pass: "p5" }, "m5"));
  expect(await rt.store.getMailbox("default", "m5")).not.toBeNull();
  await waitUntil(
    async () =>
      producer
        .addBulk(jobs(10))
        .then(() => true)
        .catch(() => false),
    90_000,
    "jobs accepted on the new primary",
  );
  await waitUntil(() => new Set(seen).size >= 20, 90_000, "all 20 jobs consumed");
  expect(new Set(seen)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `d${i}`)));
  await consumer.close();
  await producer.close();
}, 600_000);
