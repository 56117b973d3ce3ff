import { createLogger } from "@mailhook/log";
import { createSessionRouting } from "@mailhook/pipeline";
import { affinityQueueName, createConsumer, createProducer } from "@mailhook/queue";
import {
  createIdempotency,
  createLeases,
  createMembership,
  createPresence,
  createRuleWriter,
  createSecretBox,
  createSessionBudget,
  createStore,
  createTokens,
  deleteTenant,
  duplicateClient,
  generateKeySpec,
  queryDeliveries,
  resealSecrets,
} from "@mailhook/store";
import {
  makeMail,
  startDovecot,
  startReceiver,
  startRedisCluster,
  type TestDovecot,
  type TestReceiver,
  type TestRedisCluster,
} from "@mailhook/testing";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  endpointFor,
  mailboxFor,
  deliveryRecord as record,
  rules,
  Stack,
  waitUntil,
} from "./support/stack.js";

// Everything here runs on a real 3-master Redis Cluster: a multi-key command, transaction or script
// that spans slots fails with CROSSSLOT, so passing means the key layout holds.
let cluster: TestRedisCluster;
let dovecot: TestDovecot;
let receiver: TestReceiver;
let client: Cluster;
const stacks: Stack[] = [];

beforeAll(async () => {
  [cluster, dovecot, receiver] = await Promise.all([startRedisCluster(3), startDovecot(), startReceiver()]);
  client = new Cluster(cluster.nodes, {
    enableAutoPipelining: true,
    redisOptions: { maxRetriesPerRequest: null },
  });
}, 120_000);
afterAll(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
  client?.disconnect();
  await Promise.all([cluster?.stop(), dovecot?.stop(), receiver?.stop()]);
});

let n = 0;
const fresh = () => {
  const prefix = `c${++n}x${Date.now() % 100_000}`;
  return {
    prefix,
    store: createStore({ redis: client, prefix, secrets: createSecretBox(generateKeySpec("k1")) }),
  };
};

describe("on a 3-master Redis Cluster", () => {
  it("spreads the store's keys over the masters", async () => {
    const { store } = fresh();
    for (let i = 0; i < 30; i++)
      await store.putRules(
        `t${i}`,
        rules([
          {
            id: "r",
            name: "r",
            when: { field: "subject", op: "exists" },
            actions: [{ type: "flag", add: ["\\Seen"] }],
          },
        ]),
      );
    const sizes = await Promise.all(client.nodes("master").map((node) => node.dbsize()));
    expect(sizes.filter((s) => s > 0).length).toBe(3);
    // A real cluster: keys of two slots in one command are refused.
    await expect(client.mget("{a}x", "{b}y")).rejects.toThrow(/CROSSSLOT|same slot/);
  });

  it("the idempotency sweep of a key rollover reads every master, not the one a SCAN happens to reach", async () => {
    const prefix = `idem${++n}x${Date.now() % 100_000}`;
    const oldSpec = generateKeySpec("old");
    const before = createIdempotency({ redis: client, prefix, secrets: createSecretBox(oldSpec) });
    const response = { status: 201, body: '{"secret":"whsec_x"}', headers: {} };
    for (let i = 0; i < 40; i++) {
      expect((await before.claim(`t${i}`, "endpoints", `key-${i}`, "{}")).kind).toBe("new");
      await before.complete(`t${i}`, "endpoints", `key-${i}`, "{}", response);
    }
    const perMaster = async () =>
      Promise.all(client.nodes("master").map(async (node) => (await node.keys(`${prefix}:idem:*`)).length));
    // The precondition that makes the test able to fail: the records sit on more than one master.
    const spread = await perMaster();
    expect(spread.reduce((a, b) => a + b, 0)).toBe(40);
    expect(spread.filter((c) => c > 0).length).toBeGreaterThan(1);

    // Roll the key: the new one first, the old one still listed. One record is made under the new key.
    const rolled = createSecretBox(`${generateKeySpec("new")},${oldSpec}`);
    const after = createIdempotency({ redis: client, prefix, secrets: rolled });
    expect((await after.claim("t0", "endpoints", "fresh", "{}")).kind).toBe("new");
    await after.complete("t0", "endpoints", "fresh", "{}", response);
    const store = createStore({ redis: client, prefix, secrets: rolled });
    const result = await resealSecrets(store, prefix, rolled);
    expect(result.idempotency).toBe(40);
    expect(await perMaster().then((c) => c.reduce((a, b) => a + b, 0))).toBe(1);
    expect((await after.claim("t0", "endpoints", "fresh", "{}")).kind).toBe("replay");
  });

  it("store: mailboxes, endpoints, rules (CAS), tokens, events, deliveries with their indexes, tenant deletion", async () => {
    const { prefix, store } = fresh();
    const mbx = mailboxFor(dovecot, { user: "nobody", pass: "x" }, "m");
    await store.putMailbox(mbx);
    await store.putEndpoint(endpointFor("http://127.0.0.1:1/x", "ep"));
    const rw = createRuleWriter(store);
    const r1 = rules([
      {
        id: "r1",
        name: "r1",
        when: { field: "subject", op: "exists" },
        actions: [{ type: "flag", add: ["\\Seen"] }],
      },
    ])[0]!;
    const w = await rw.write("default", [{ id: "r1", expect: "", rule: r1 }]);
    expect(w.ok).toBe(true);
    expect(await store.rulesVersion("default")).toBe(1);
    await store.deleteRules("default", ["r1"]);
    expect(await store.listRules("default")).toEqual([]);
    expect((await store.listMailboxes()).map((m) => m.id)).toEqual(["m"]);
    expect(await store.listTenants()).toEqual(["default"]);

    const tokens = createTokens({ redis: client, prefix });
    const { token, record: tok } = await tokens.issue({ tenantId: "default", name: "ci", readOnly: false });
    expect((await tokens.verify(token))?.id).toBe(tok.id);
    await tokens.revoke("default", tok.id);
    expect(await tokens.verify(token)).toBeNull();

    await store.recordEvent({
      at: new Date().toISOString(),
      tenantId: "default",
      mailboxId: "m",
      folder: "INBOX",
      type: "auth.failed",
      detail: {},
    });
    expect(await store.listEvents("default")).toHaveLength(1);

    for (const id of ["msg_a", "msg_b", "msg_c"])
      expect((await store.createDelivery(record(id, "default"))).created).toBe(true);
    await store.recordAttempt("msg_a", null, "dead", "gone");
    await store.recordAttempt("msg_b", null, "delivered", null);
    expect(await store.listDeadDeliveries("default", "ep")).toEqual(["msg_a"]);
    expect((await store.beginReplay("msg_a"))?.replayed).toBe(true);
    expect(await store.listDeadDeliveries("default", "ep")).toEqual([]);
    const page = await queryDeliveries(store, "default", {}, 10, null);
    expect(page.records.map((r) => r.id).sort()).toEqual(["msg_a", "msg_b", "msg_c"]);

    const result = await deleteTenant(store, prefix, "default", { releaseTimeoutMs: 1_000 });
    expect(result.mailboxes).toBe(1);
    expect(result.deliveries).toBe(3);
    expect(await store.listMailboxes()).toEqual([]);
    expect(await store.getDelivery("msg_a")).toBeNull();
  });

  it("leases, fenced cursors and status, membership", async () => {
    const { prefix, store } = fresh();
    const a = createLeases({ redis: client, prefix, ownerId: "a", ttlMs: 5_000 });
    const b = createLeases({ redis: client, prefix, ownerId: "b", ttlMs: 5_000 });
    const refs = Array.from({ length: 50 }, (_, i) => ({ tenantId: "t", mailboxId: `m${i}` }));
    const got = await a.acquireMany(refs);
    expect(got.every((l) => l !== null)).toBe(true);
    expect((await b.acquireMany(refs)).every((l) => l === null)).toBe(true);
    expect((await a.renewMany(got.map((l) => l!))).every(Boolean)).toBe(true);

    const lease = got[0]!;
    const cursor = { uidValidity: 7, lastUid: 3 };
    expect(await store.advanceCursor("t", "m0", "INBOX", cursor, lease.token, true)).toBe(true);
    expect(await store.advanceCursor("t", "m0", "INBOX", { uidValidity: 7, lastUid: 9 }, "stale")).toBe(
      false,
    );
    expect(await store.getCursor("t", "m0", "INBOX")).toMatchObject(cursor);
    const status = {
      state: "connected" as const,
      lastError: null,
      since: "",
      idleSince: null,
      lastEventAt: null,
      owner: "a",
    };
    expect(await store.setFolderStatus("t", "m0", "INBOX", status, lease.token)).toBe(true);
    expect(
      await store.setFolderStatus("t", "m0", "INBOX", { ...status, state: "stopped", owner: "b" }, "stale"),
    ).toBe(false);
    expect((await store.getFolderStatuses("t", "m0")).INBOX?.owner).toBe("a");

    await a.releaseMany(got.map((l) => l!));
    expect((await b.acquireMany(refs)).every((l) => l !== null)).toBe(true);

    const members = createMembership({ redis: client, prefix, ttlMs: 5_000 });
    await members.heartbeat("w1", 0);
    await members.heartbeat("w2", 100);
    expect((await members.live()).members.map((m) => [m.id, m.capacity])).toEqual([
      ["w1", 0],
      ["w2", 100],
    ]);

    // Presence: a subscription lives on one node; the count is summed over all of them. A member
    // marked gone is listed as such, and its leases can be taken before they expire.
    const presence = createPresence({ redis: client, prefix });
    const sub = duplicateClient(client);
    await sub.subscribe(presence.channel("w1"));
    expect(Object.fromEntries(await presence.subscribers(["w1", "w2"]))).toEqual({ w1: 1, w2: 0 });
    await sub.quit();
    await waitUntil(async () => (await presence.subscribers(["w1"])).get("w1") === 0, 10_000, "unsubscribed");
    const w2 = createLeases({ redis: client, prefix, ownerId: "w2", ttlMs: 60_000 });
    const w1 = createLeases({ redis: client, prefix, ownerId: "w1", ttlMs: 60_000 });
    // Mailboxes of their own: b still holds `refs` above.
    const held = refs.map((r) => ({ ...r, mailboxId: `g-${r.mailboxId}` }));
    expect((await w2.acquireMany(held)).every((l) => l !== null)).toBe(true);
    expect((await w1.acquireMany(held, ["w3"])).every((l) => l === null)).toBe(true);
    const at = (await members.live()).members.find((m) => m.id === "w2")!.at;
    expect(await members.markGone("w2", at)).toBe(true);
    expect((await members.live()).gone).toEqual(["w2"]);
    expect((await w1.acquireMany(held, ["w2"])).every((l) => l !== null)).toBe(true);
  });

  it("worker IMAP session budget: acquire, full, renew on one timer, release, per mailbox slot", async () => {
    const { prefix } = fresh();
    const a = createSessionBudget({ redis: client, prefix, workerId: "wa", leaseMs: 1_000 });
    const b = createSessionBudget({ redis: client, prefix, workerId: "wb", leaseMs: 1_000 });
    // Many mailboxes: their budget keys land on every master, each script on one slot.
    const refs = Array.from({ length: 30 }, (_, i) => ({ tenantId: "t", mailboxId: `m${i}` }));
    for (const ref of refs) {
      expect(await a.acquire(ref, 0, 2)).toEqual({ ok: true });
      expect(await b.acquire(ref, 0, 2)).toEqual({ ok: true });
      expect(await b.acquire(ref, 1, 2)).toEqual({ ok: false, holders: ["wa"] });
    }
    // Past the TTL: the renewal round (one script per mailbox, sent together) kept all of them.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const ref of refs)
      expect((await a.sessions(ref)).map((s) => s.member).sort()).toEqual(["wa#0", "wb#0"]);
    await a.close();
    for (const ref of refs) expect((await b.sessions(ref)).map((s) => s.member)).toEqual(["wb#0"]);
    await b.release(refs[0]!, 0);
    expect(await b.sessions(refs[0]!)).toEqual([]);
    await b.close();
  });

  it("session routing: worker heartbeats, and a dead worker's affinity queue moved back to the shared queue", async () => {
    const { prefix } = fresh();
    const shared = createProducer("mail.process", { connection: client, prefix });
    const orphaned = createProducer("mail.process", {
      connection: client,
      prefix,
      queueName: affinityQueueName("mail.process", "dead"),
    });
    const job = (uid: number) => ({
      jobId: `m~INBOX~1~${uid}`,
      data: { tenantId: "t", mailboxId: "m", folder: "INBOX", uidValidity: 1, uid, seenAt: Date.now() },
    });
    await orphaned.addBulk([job(1), job(2), job(3)]);
    await client.sadd(`${prefix}:affinity-queues`, "dead");
    const log = createLogger({ name: "test", level: "silent" });
    const routing = createSessionRouting({
      redis: client,
      connection: client,
      prefix,
      workerId: "live",
      shared,
      heartbeatTtlMs: 300,
      log,
    });
    await routing.start();
    // The sweep moves the jobs, then drops the dead worker's id from the set: wait for both.
    await waitUntil(
      async () =>
        (await shared.queue.count()) === 3 &&
        (await client.smembers(`${prefix}:affinity-queues`)).join() === "live",
      10_000,
      "orphaned jobs moved back and the dead worker's queue unlisted",
    );
    expect(await orphaned.queue.count()).toBe(0);
    expect(await client.smembers(`${prefix}:affinity-queues`)).toEqual(["live"]);
    await routing.stop();
    expect(await client.smembers(`${prefix}:affinity-queues`)).toEqual([]);
    await Promise.all([shared.close(), orphaned.close()]);
  });

  it("queues: BullMQ on the shared Cluster client with a hash-tagged prefix", async () => {
    const { prefix } = fresh();
    const producer = createProducer("webhook.deliver", { connection: client, prefix });
    const seen: string[] = [];
    const consumer = createConsumer(
      "webhook.deliver",
      { connection: client, prefix, concurrency: 4 },
      async (d) => {
        seen.push(d.deliveryId);
      },
    );
    await producer.addBulk(
      Array.from({ length: 20 }, (_, i) => ({
        jobId: `j${i}`,
        data: { tenantId: "t", deliveryId: `d${i}` },
      })),
    );
    await waitUntil(() => seen.length === 20, 30_000, "20 jobs consumed");
    await consumer.close();
    await producer.close();
    expect(new Set(seen).size).toBe(20);
  });

  it("end to end: mail becomes one signed webhook, and a second watcher takes over when the first stops", async () => {
    const stack = new Stack({ redisUrl: "redis://unused", cluster: cluster.nodes });
    stacks.push(stack);
    const user = await dovecot.createUser("cluster");
    await stack.store.putMailbox(mailboxFor(dovecot, user, "support"));
    await stack.store.putEndpoint(endpointFor(`${receiver.url}/cluster`));
    await stack.store.putRules(
      "default",
      rules([
        {
          id: "all",
          name: "All",
          when: { field: "subject", op: "exists" },
          actions: [{ type: "webhook", endpoint: "hook" }],
        },
      ]),
    );
    await stack.start();
    await stack.waitForState("support", "INBOX", "connected");
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "on the cluster" }));
    await waitUntil(
      () => receiver.requests.some((r) => r.path === "/cluster"),
      30_000,
      "webhook on the cluster",
    );

    // Hand-over on a graceful stop: a second replica owns it and the next message arrives once.
    const other = new Stack({
      redisUrl: "redis://unused",
      cluster: cluster.nodes,
      prefix: stack.prefix,
      secrets: stack.secrets,
    });
    stacks.push(other);
    const second = await other.startWatcher("watcher-2");
    await stack.stopWatcher();
    await waitUntil(() => second.supervisor.owned().length === 1, 30_000, "second watcher owns the mailbox");
    await waitUntil(
      async () => (await stack.store.getFolderStatuses("default", "support")).INBOX?.owner === "watcher-2",
      30_000,
      "status written by the new owner",
    );
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "after the hand-over" }));
    await waitUntil(
      () => receiver.requests.filter((r) => r.path === "/cluster").length >= 2,
      30_000,
      "second webhook",
    );
    const ids = receiver.requests.filter((r) => r.path === "/cluster").map((r) => r.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(2);
  });
});
