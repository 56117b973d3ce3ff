import type dns from "node:dns";
import { DEFAULT_FETCH_LIMITS } from "@mailhook/model";
import { replayDeadDeliveries } from "@mailhook/pipeline";
import { createProducer } from "@mailhook/queue";
import { createEndpointGate } from "@mailhook/store";
import { makeMail, startReceiver } from "@mailhook/testing";
import { generateSecret } from "@mailhook/webhook";
import { startWorkerService, type WorkerServiceOptions } from "@mailhook/worker";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { testOutbound } from "./support/outbound.js";
import { endpointFor, mailboxFor, rules, type Stack, sleep, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const world = useWorld();
afterEach(async () => {
  world.receiver.setHandler(() => ({ status: 200 }));
});

const ALL = [{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }];

/** Watcher + worker for one fresh mailbox; the worker with the test's own options. */
async function startStack(
  path: string,
  opts: { rules?: unknown[]; worker?: Partial<WorkerServiceOptions>; secret?: string } = {},
): Promise<{ stack: Stack; user: string; secret: string }> {
  const stack = world.stack();
  const user = await world.dovecot.createUser("dlv");
  const secret = opts.secret ?? generateSecret();
  await stack.store.putMailbox(mailboxFor(world.dovecot, user, "mbx"));
  await stack.store.putEndpoint(endpointFor(`${world.receiver.url}${path}`, "hook", secret));
  await stack.store.putRules("default", rules(opts.rules ?? ALL));
  stack.worker = await startWorkerService({
    redisUrl: world.redis.url,
    prefix: stack.prefix,
    store: stack.store,
    log: stack.log.child({ service: "worker" }),
    mailConcurrency: 8,
    deliveryConcurrency: 16,
    imapPoolSize: 2,
    imapOperationTimeoutMs: 5_000,
    limits: DEFAULT_FETCH_LIMITS,
    outbound: testOutbound(),
    schedule: [100, 100, 100],
    timeouts: { connectTimeoutMs: 2_000, totalTimeoutMs: 5_000, maxResponseBytes: 4_096 },
    ...opts.worker,
  });
  await stack.startWatcher();
  await stack.waitForState("mbx", "INBOX", "connected");
  return { stack, user: user.user, secret };
}

const hits = (path: string) => world.receiver.requests.filter((r) => r.path === path);
const waitHits = (path: string, n: number, ms = 15_000) =>
  waitUntil(() => hits(path).length >= n, ms, `${n} requests to ${path}`);

describe("retries", () => {
  it("500, 500, 200: one delivered record with three attempts under one webhook-id, each signed afresh", async () => {
    const answers = [500, 500, 200];
    world.receiver.setHandler((req) =>
      req.path === "/r3" ? { status: answers.shift() ?? 200 } : { status: 200 },
    );
    const { stack, user, secret } = await startStack("/r3");
    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "third time lucky" }));
    await waitHits("/r3", 3);
    await sleep(500);
    const reqs = hits("/r3");
    expect(reqs).toHaveLength(3);
    const id = reqs[0]!.headers["webhook-id"]!;
    expect(reqs.map((r) => r.headers["webhook-id"])).toEqual([id, id, id]);
    expect(new Set(reqs.map((r) => r.body)).size).toBe(1);
    const wh = new Webhook(secret);
    for (const r of reqs) wh.verify(r.body, r.headers);
    await waitUntil(
      async () => (await stack.store.getDelivery(id))?.status === "delivered",
      5_000,
      "delivered",
    );
    const rec = await stack.store.getDelivery(id);
    expect(rec?.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(rec?.lastError).toBeNull();
  });

  it("410 Gone disables the endpoint: the delivery fails and later mail makes no attempt", async () => {
    world.receiver.setHandler((req) => (req.path === "/gone" ? { status: 410 } : { status: 200 }));
    const { stack, user } = await startStack("/gone");
    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "first" }));
    await waitHits("/gone", 1);
    const id = hits("/gone")[0]!.headers["webhook-id"]!;
    await waitUntil(async () => (await stack.store.getDelivery(id))?.status === "failed", 5_000, "failed");
    const ep = await stack.store.getEndpoint("default", "hook");
    expect(ep?.enabled).toBe(false);
    expect(ep?.disabledReason).toMatch(/410/);

    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "second" }));
    await waitUntil(
      async () => (await stack.store.listDeliveryIds("default")).length === 2,
      10_000,
      "the second delivery record",
    );
    const [second] = (await stack.store.listDeliveryIds("default")).filter((x) => x !== id);
    await waitUntil(
      async () => (await stack.store.getDelivery(second!))?.status === "failed",
      5_000,
      "failed",
    );
    expect((await stack.store.getDelivery(second!))?.lastError).toMatch(/endpoint disabled/);
    await sleep(500);
    expect(hits("/gone")).toHaveLength(1);
  });

  it("records a hanging receiver's timeout as the attempt's error", async () => {
    world.receiver.setHandler((req) =>
      req.path === "/hang" ? { status: 200, delayMs: 3_000 } : { status: 200 },
    );
    const { stack, user } = await startStack("/hang", {
      worker: {
        schedule: [60_000],
        timeouts: { connectTimeoutMs: 1_000, totalTimeoutMs: 400, maxResponseBytes: 4_096 },
      },
    });
    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "slow" }));
    await waitHits("/hang", 1);
    const id = hits("/hang")[0]!.headers["webhook-id"]!;
    await waitUntil(
      async () => ((await stack.store.getDelivery(id))?.attempts.length ?? 0) === 1,
      5_000,
      "the attempt",
    );
    const rec = await stack.store.getDelivery(id);
    expect(rec?.status).toBe("pending");
    expect(rec?.attempts[0]).toMatchObject({ status: null });
    expect(rec?.attempts[0]?.error).toMatch(/total timeout after 400 ms waiting for the response/);
    expect(rec?.attempts[0]?.latencyMs).toBeGreaterThanOrEqual(380);
    expect(rec?.attempts[0]?.latencyMs).toBeLessThan(2_000);
  });

  it("waits as long as Retry-After: 2 asks, although the schedule says 100 ms", async () => {
    const answers = [{ status: 503, headers: { "retry-after": "2" } }, { status: 200 }];
    world.receiver.setHandler((req) =>
      req.path === "/ra" ? (answers.shift() ?? { status: 200 }) : { status: 200 },
    );
    const { user } = await startStack("/ra");
    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "later please" }));
    await waitHits("/ra", 2, 10_000);
    const [a, b] = hits("/ra");
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(2_000);
    expect(b!.at - a!.at).toBeLessThan(3_500);
  });
});

describe("SSRF guard, end to end", () => {
  it("refuses metadata, IPv4-mapped, decimal and privately-resolving URLs without contacting them", async () => {
    const port = new URL(world.receiver.url).port;
    const targets = {
      metadata: "http://169.254.169.254/latest/meta-data/",
      mapped: `http://[::ffff:127.0.0.1]:${port}/ssrf-mapped`,
      decimal: `http://2130706433:${port}/ssrf-decimal`,
      internal: `http://internal.example.test:${port}/ssrf-internal`,
    };
    // The name resolves to a private address, as an attacker's DNS would make it.
    const lookup = ((
      host: string,
      _opts: unknown,
      cb: (e: null, a: { address: string; family: number }[]) => void,
    ) =>
      cb(null, [
        { address: host === "internal.example.test" ? "10.1.2.3" : "203.0.113.9", family: 4 },
      ])) as unknown as typeof dns.lookup;
    const stack = world.stack();
    const user = await world.dovecot.createUser("ssrf");
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, "mbx"));
    for (const [id, url] of Object.entries(targets)) await stack.store.putEndpoint(endpointFor(url, id));
    await stack.store.putRules(
      "default",
      rules([
        {
          id: "all",
          name: "All",
          actions: Object.keys(targets).map((endpoint) => ({ type: "webhook", endpoint })),
        },
      ]),
    );
    stack.worker = await startWorkerService({
      redisUrl: world.redis.url,
      prefix: stack.prefix,
      store: stack.store,
      log: stack.log.child({ service: "worker" }),
      mailConcurrency: 4,
      deliveryConcurrency: 4,
      imapPoolSize: 1,
      limits: DEFAULT_FETCH_LIMITS,
      // Nothing internal is allowed for webhooks, not even the test receiver (Dovecot is, for IMAP).
      outbound: testOutbound({ allow: { imap: ["127.0.0.1/32"] }, lookup }),
      schedule: [100],
      timeouts: { connectTimeoutMs: 1_000, totalTimeoutMs: 2_000, maxResponseBytes: 1_024 },
    });
    await stack.startWatcher();
    await stack.waitForState("mbx", "INBOX", "connected");
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "exfiltrate" }));

    await waitUntil(
      async () => {
        const ids = await stack.store.listDeliveryIds("default");
        const recs = await Promise.all(ids.map((id) => stack.store.getDelivery(id)));
        return recs.length === 4 && recs.every((r) => r?.status === "failed");
      },
      10_000,
      "four refused deliveries",
    );
    const recs = await Promise.all(
      (await stack.store.listDeliveryIds("default")).map((id) => stack.store.getDelivery(id)),
    );
    const errorOf = (ep: string) => recs.find((r) => r?.endpointId === ep)?.lastError;
    expect(errorOf("metadata")).toMatch(/destination not allowed: 169\.254\.169\.254 is link-local/);
    expect(errorOf("mapped")).toMatch(/destination not allowed: .*127\.0\.0\.1.*loopback/);
    expect(errorOf("decimal")).toMatch(/destination not allowed: 127\.0\.0\.1 is loopback.*WEBHOOK_ALLOW/);
    // What the tenant's DNS name resolved to stays in the operator's log.
    expect(errorOf("internal")).toBe(
      "destination not allowed: internal.example.test does not resolve to an allowed address; an operator can allow it (with its port) in WEBHOOK_ALLOW",
    );
    expect(stack.logs.text()).toMatch(/internal\.example\.test resolves to 10\.1\.2\.3, which is private/);
    for (const r of recs) {
      expect(r?.attempts).toHaveLength(1);
      expect(r?.attempts[0]?.status).toBeNull();
    }
    expect(world.receiver.requests.filter((r) => r.path.startsWith("/ssrf"))).toHaveLength(0);
  });
});

describe("isolation", () => {
  it("an endpoint that hangs every request for 30 s does not delay 200 deliveries to a healthy one", async () => {
    world.receiver.setHandler((req) =>
      req.path === "/a-hangs" ? { status: 200, delayMs: 30_000 } : { status: 200 },
    );
    const stack = world.stack();
    const user = await world.dovecot.createUser("iso");
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, "mbx"));
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/a-hangs`, "a"));
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/b-fine`, "b"));
    await stack.store.putRules(
      "default",
      rules([
        {
          id: "to-a",
          name: "A",
          when: { field: "subject", op: "startsWith", value: "iso" },
          actions: [{ type: "webhook", endpoint: "a" }],
        },
        { id: "to-b", name: "B", actions: [{ type: "webhook", endpoint: "b" }] },
      ]),
    );
    stack.worker = await startWorkerService({
      redisUrl: world.redis.url,
      prefix: stack.prefix,
      store: stack.store,
      log: stack.log.child({ service: "worker" }),
      mailConcurrency: 16,
      deliveryConcurrency: 16,
      imapPoolSize: 2,
      limits: DEFAULT_FETCH_LIMITS,
      outbound: testOutbound(),
      // Attempts really wait the 30 s: only the per-endpoint limit protects B here.
      timeouts: { connectTimeoutMs: 2_000, totalTimeoutMs: 35_000, maxResponseBytes: 1_024 },
      gate: { concurrency: 4 },
    });
    await stack.startWatcher();
    await stack.waitForState("mbx", "INBOX", "connected");
    // Lateness of each B delivery: arrival at B minus when the watcher saw its message.
    const burst = async (prefix: string, from: number): Promise<number[]> => {
      const raws = await Promise.all(
        Array.from({ length: 200 }, (_, i) => makeMail({ subject: `${prefix} ${i}` })),
      );
      await world.dovecot.appendMany(user.user, "INBOX", raws);
      await waitHits("/b-fine", from + 200, 20_000);
      const lateness: number[] = [];
      for (const r of hits("/b-fine").slice(from)) {
        const rec = await stack.store.getDelivery(r.headers["webhook-id"]!);
        lateness.push(r.at - rec!.seenAt);
      }
      return lateness.sort((x, y) => x - y);
    };
    const max = (l: number[]) => l[l.length - 1]!;
    try {
      // The same burst first without A: what this machine needs for 200 messages right now.
      const baseline = await burst("base", 0);
      const withA = await burst("iso", 200);
      expect(hits("/a-hangs").length).toBeGreaterThan(0);
      // Without isolation B waits for A's 30 s requests. With it, B is about as late as without A
      // (measured: about 1-1.5 s for the slowest of the 200, both ways, on a quiet machine). The
      // bound is relative to the in-run baseline (a loaded machine slows both bursts alike) and stays
      // far below the 30 s a B delivery queued behind A would take.
      expect(max(withA)).toBeLessThan(max(baseline) * 3 + 3_000);
      expect(max(withA)).toBeLessThan(20_000);
      // A holds at most its 4 slots; nothing else of A was attempted.
      expect(hits("/a-hangs").length).toBeLessThanOrEqual(4);
    } finally {
      // Hanging requests end now, so stopping the worker does not wait 30 s for them.
      world.receiver.setHandler(() => ({ status: 200 }));
      await world.receiver.stop();
      world.receiver = await startReceiver();
    }
  });

  it("opens the circuit after repeated failures, lets one probe through later, and closes on success", async () => {
    let answer = 503;
    world.receiver.setHandler((req) => (req.path === "/flaky" ? { status: answer } : { status: 200 }));
    const { stack, user } = await startStack("/flaky", {
      worker: {
        schedule: Array.from({ length: 30 }, () => 50),
        gate: { failureThreshold: 3, openMs: 1_500, maxOpenMs: 1_500 },
      },
    });
    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "flaky" }));
    await waitHits("/flaky", 3);
    const third = hits("/flaky")[2]!.at;
    await sleep(1_000);
    expect(hits("/flaky")).toHaveLength(3); // open: nothing is sent
    const gate = createEndpointGate(stack.redis, stack.prefix);
    expect((await gate.state("default", "hook")).state).toBe("open");
    answer = 200;
    await waitHits("/flaky", 4);
    expect(hits("/flaky")[3]!.at - third).toBeGreaterThanOrEqual(1_400);
    const id = hits("/flaky")[0]!.headers["webhook-id"]!;
    await waitUntil(
      async () => (await stack.store.getDelivery(id))?.status === "delivered",
      5_000,
      "delivered",
    );
    expect((await gate.state("default", "hook")).state).toBe("closed");
  });
});

describe("secrets and replay", () => {
  it("signs with the old and the new secret during a rotation's overlap, and with the new one after", async () => {
    const { stack, user, secret: oldSecret } = await startStack("/rot");
    const newSecret = generateSecret();
    await stack.store.rotateEndpointSecret("default", "hook", newSecret, 3_600);
    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "overlap" }));
    await waitHits("/rot", 1);
    const [during] = hits("/rot");
    expect(during!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    new Webhook(oldSecret).verify(during!.body, during!.headers);
    new Webhook(newSecret).verify(during!.body, during!.headers);

    const newest = generateSecret();
    await stack.store.rotateEndpointSecret("default", "hook", newest, 0);
    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "after" }));
    await waitHits("/rot", 2);
    const after = hits("/rot")[1]!;
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    new Webhook(newest).verify(after.body, after.headers);
    expect(() => new Webhook(newSecret).verify(after.body, after.headers)).toThrow();
  });

  it("lists an endpoint's dead deliveries and replays them all under their original webhook-ids", async () => {
    let answer = 400; // a client error is dead-lettered at once
    world.receiver.setHandler((req) => (req.path === "/replay" ? { status: answer } : { status: 200 }));
    const { stack, user } = await startStack("/replay");
    for (const s of ["one", "two", "three"])
      await world.dovecot.append(user, "INBOX", await makeMail({ subject: s }));
    await waitHits("/replay", 3);
    await waitUntil(
      async () => (await stack.store.listDeadDeliveries("default", "hook")).length === 3,
      5_000,
      "three dead deliveries",
    );
    const firstIds = hits("/replay").map((r) => r.headers["webhook-id"]);
    answer = 200;
    const deliveries = createProducer("webhook.deliver", {
      connection: { url: world.redis.url, maxRetriesPerRequest: null },
      prefix: stack.prefix,
    });
    try {
      const result = await replayDeadDeliveries({ store: stack.store, deliveries }, "default", "hook");
      expect(result.replayed).toHaveLength(3);
      expect(result.skipped).toEqual([]);
    } finally {
      await deliveries.close();
    }
    await waitHits("/replay", 6);
    const replayedIds = hits("/replay")
      .slice(3)
      .map((r) => r.headers["webhook-id"]);
    expect(new Set(replayedIds)).toEqual(new Set(firstIds));
    await waitUntil(
      async () => (await stack.store.listDeadDeliveries("default", "hook")).length === 0,
      5_000,
      "the dead list to empty",
    );
    const rec = await stack.store.getDelivery(firstIds[0]!);
    expect(rec).toMatchObject({ status: "delivered", replays: 1, attemptOffset: 1 });
    expect(rec?.attempts.map((a) => a.status)).toEqual([400, 200]);
  });
});

describe("worker errors", () => {
  it("dead-letters a delivery whose job fails on every BullMQ attempt, instead of leaving it pending", async () => {
    world.receiver.setHandler((req) => (req.path === "/broken" ? { status: 503 } : { status: 200 }));
    // Read on every message (configCacheMs 0): the corruption below bypasses mailhook, so no change
    // notice tells a caching worker about it.
    const { stack, user } = await startStack("/broken", {
      worker: { schedule: [1_500, 1_500], configCacheMs: 0 },
    });
    await world.dovecot.append(user, "INBOX", await makeMail({ subject: "corrupted later" }));
    await waitHits("/broken", 1);
    const id = hits("/broken")[0]!.headers["webhook-id"]!;
    // The endpoint becomes unreadable (a bug, a bad manual edit): every later run of the job throws.
    await stack.redis.hset(stack.store.keys.endpoints("default"), "hook", "{not json");
    await waitUntil(
      async () => (await stack.store.getDelivery(id))?.status === "dead",
      30_000,
      "dead-letter",
    );
    const rec = await stack.store.getDelivery(id);
    expect(rec?.lastError).toMatch(/^worker error after 3 tries: /);
    expect(rec?.attempts.map((a) => a.status)).toEqual([503]);
    expect(await stack.store.listDeadDeliveries("default", "hook")).toEqual([id]);
  }, 45_000);
});
