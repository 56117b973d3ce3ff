import { messageKey } from "@mailhook/model";
import { affinityQueueName, createProducer, type MailProcessJob } from "@mailhook/queue";
import { createSessionBudget, keys, type Mailbox } from "@mailhook/store";
import { makeMail, startTcpProxy, type TcpProxy } from "@mailhook/testing";
import { WebhookPayload } from "@mailhook/webhook";
import type { WorkerServiceOptions } from "@mailhook/worker";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { endpointFor, mailboxFor, rules, type Stack, sleep, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

// The cluster-wide IMAP session budget on real components: two worker services (own ids, own
// pools, one Redis), Dovecot behind one counting TCP proxy per mailbox, so the proxy sees exactly
// the worker sessions of that mailbox (no watcher runs here: the test queues the jobs itself).
const world = useWorld();
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

type MailJob = { jobId: string; data: MailProcessJob };

interface Load {
  stacks: Stack[];
  proxies: TcpProxy[];
  jobs: MailJob[];
  path: string;
  total: number;
}

async function redisNow(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/**
 * `mailboxes` mailboxes with `perMailbox` messages each, a rule matching all of them, and two
 * workers with the given session budget (0: none) and two pooled connections each.
 */
async function prepare(
  name: string,
  budget: number,
  mailboxes: number,
  perMailbox: number,
  workerIds = ["wa", "wb"],
  extra: Partial<WorkerServiceOptions> = {},
  mailbox: Partial<Mailbox> = {},
): Promise<Load> {
  const worker = (workerId: string) => ({
    ...extra,
    workerId,
    imapSessionsPerMailbox: budget,
    imapSessionLeaseMs: 3_000,
    imapPoolSize: 2,
    mailConcurrency: 8,
    // Lets the lease tests see a real failure rather than a slow one.
    imapOperationTimeoutMs: 10_000,
  });
  const first = world.stack({ worker: worker(workerIds[0]!) });
  const stacks = [
    first,
    ...workerIds
      .slice(1)
      .map((id) => world.stack({ prefix: first.prefix, secrets: first.secrets, worker: worker(id) })),
  ];
  const path = `/${name}`;
  await first.store.putEndpoint(endpointFor(`${world.receiver.url}${path}`));
  await first.store.putRules(
    "default",
    rules([
      {
        id: "all",
        name: "All",
        when: { field: "subject", op: "contains", value: "load" },
        actions: [{ type: "webhook", endpoint: "hook" }],
      },
    ]),
  );
  const mine: TcpProxy[] = [];
  const jobs: MailJob[] = [];
  for (let m = 0; m < mailboxes; m++) {
    const user = await world.dovecot.createUser(`${name}${m}`);
    const raws = await Promise.all(
      Array.from({ length: perMailbox }, (_, i) =>
        makeMail({ subject: `load ${m}/${i}`, text: `body ${i}` }),
      ),
    );
    await world.dovecot.appendMany(user.user, "INBOX", raws);
    const c = await world.dovecot.client(user);
    const uidValidity = Number((await c.mailboxOpen("INBOX")).uidValidity);
    await c.logout();
    const proxy = await startTcpProxy({ host: world.dovecot.host, port: world.dovecot.port });
    proxies.push(proxy);
    mine.push(proxy);
    await first.store.putMailbox(mailboxFor({ port: proxy.port }, user, `m${m}`, mailbox));
    for (let uid = 1; uid <= perMailbox; uid++) {
      jobs.push({
        jobId: messageKey(`m${m}`, "INBOX", uidValidity, uid),
        data: {
          tenantId: "default",
          mailboxId: `m${m}`,
          folder: "INBOX",
          uidValidity,
          uid,
          seenAt: Date.now(),
        },
      });
    }
  }
  // Interleaved across mailboxes, one message per job: many jobs of every mailbox in flight at once.
  jobs.sort((a, b) => (a.data.uid ?? 0) - (b.data.uid ?? 0));
  return { stacks, proxies: mine, jobs, path, total: mailboxes * perMailbox };
}

async function run(load: Load): Promise<void> {
  await Promise.all(load.stacks.map((s) => s.startWorker()));
  const producer = createProducer("mail.process", {
    connection: { url: world.redis.url },
    prefix: load.stacks[0]!.prefix,
  });
  try {
    await producer.addBulk(load.jobs);
  } finally {
    await producer.close();
  }
  // Generous: at load 25 on 2 cores the deferral-only run took over a minute (its backoffs add up).
  await waitUntil(
    () => hits(load.path).length >= load.total,
    150_000,
    `${load.total} webhooks on ${load.path}`,
  );
}

const hits = (path: string) => world.receiver.requests.filter((r) => r.path === path);

/** Every message delivered exactly once: one request per (mailbox, uid), under distinct webhook ids. */
function expectExactlyOnce(load: Load): void {
  const reqs = hits(load.path);
  expect(reqs).toHaveLength(load.total);
  expect(new Set(reqs.map((r) => r.headers["webhook-id"])).size).toBe(load.total);
  const messages = reqs.map((r) => {
    const p = WebhookPayload.parse(JSON.parse(r.body));
    return `${p.mailbox.id}/${p.message.uid}`;
  });
  expect(new Set(messages).size).toBe(load.total);
}

/** Runs the load; the peak sessions per mailbox and the logins it took, printed for docs/scaling.md. */
async function measure(load: Load, label: string): Promise<number[]> {
  const started = Date.now();
  await run(load);
  await sleep(500);
  expectExactlyOnce(load);
  const peaks = load.proxies.map((p) => p.peakConnections());
  const logins = load.proxies.reduce((n, p) => n + p.accepted(), 0);
  // Queued at `started`: how long each message took to reach the receiver (deferrals show here).
  const waits = hits(load.path)
    .map((r) => r.at - started)
    .sort((a, b) => a - b);
  const at = (q: number) => waits[Math.min(waits.length - 1, Math.floor(q * waits.length))];
  // Counters are written once a second: the printed ones may trail by that much.
  const c = await load.stacks[0]!.redis.hgetall(keys(load.stacks[0]!.prefix).metrics);
  console.log(
    `${label}: peak sessions per mailbox ${peaks.join(",")}; ${logins} logins for ${load.total} messages; ` +
      `webhook after p50 ${at(0.5)} ms, max ${at(1)} ms; routed ${c.imap_routed_jobs ?? 0}, deferred ${c.imap_budget_deferrals ?? 0}`,
  );
  return peaks;
}

describe("IMAP sessions per mailbox across worker replicas", () => {
  it("without the budget the same load opens more than 2 sessions of a mailbox (what the budget prevents; runs first, warming up)", async () => {
    const load = await prepare("nobudget", 0, 3, 60);
    const peaks = await measure(load, "no budget");
    expect(Math.max(...peaks)).toBeGreaterThan(2);
  }, 240_000);

  it("two workers with a budget of 2 never hold more than 2 sessions of a mailbox, and deliver every message once", async () => {
    const load = await prepare("budget", 2, 3, 60);
    const peaks = await measure(load, "budget 2, routing");
    for (const peak of peaks) expect(peak).toBeLessThanOrEqual(2);
    // Whether jobs were routed here depends on who opened first (one session each needs none).
    // Stopping gives every lease back at once.
    await Promise.all(load.stacks.map((s) => s.stopWorker()));
    const k = keys(load.stacks[0]!.prefix);
    for (let m = 0; m < 3; m++)
      expect(await load.stacks[0]!.redis.zcard(k.imapSessions("default", `m${m}`))).toBe(0);
  }, 240_000);

  it("the same with routing off: jobs of a full mailbox are only deferred, and still all delivered once", async () => {
    const load = await prepare("deferonly", 2, 3, 60, ["wa", "wb"], { routeToHolder: false });
    const peaks = await measure(load, "budget 2, no routing");
    for (const peak of peaks) expect(peak).toBeLessThanOrEqual(2);
    // Workers write their counters once a second, and on stop.
    await Promise.all(load.stacks.map((s) => s.stopWorker()));
    const counters = await load.stacks[0]!.redis.hgetall(keys(load.stacks[0]!.prefix).metrics);
    expect(Number(counters.imap_routed_jobs ?? 0)).toBe(0);
  }, 240_000);

  it("a mailbox's own maxSessions lowers the operator's budget for it", async () => {
    const load = await prepare("own1", 2, 1, 40, ["wa", "wb"], {}, { maxSessions: 1 });
    const peaks = await measure(load, "budget 2, mailbox maxSessions 1");
    expect(peaks).toEqual([1]);
    // One session, two workers taking its jobs: the one without it forwarded them to the holder.
    // Workers write their counters once a second, and on stop.
    await Promise.all(load.stacks.map((s) => s.stopWorker()));
    const counters = await load.stacks[0]!.redis.hgetall(keys(load.stacks[0]!.prefix).metrics);
    expect(Number(counters.imap_routed_jobs ?? 0)).toBeGreaterThan(0);
  }, 120_000);

  it("a killed worker's leases block the mailbox only until they expire; its jobs are deferred, then all delivered once", async () => {
    const load = await prepare("reclaim", 2, 1, 20, ["wa"]);
    const stack = load.stacks[0]!;
    // What a SIGKILLed worker leaves behind: both leases of the budget, never renewed again.
    const redis = new Redis(world.redis.url);
    const expiresAt = (await redisNow(redis)) + 2_500;
    await redis.zadd(
      keys(stack.prefix).imapSessions("default", "m0"),
      expiresAt,
      "dead#0",
      expiresAt,
      "dead#1",
    );
    await run(load);
    const first = Math.min(...hits(load.path).map((r) => r.at));
    // Nothing was read while the dead worker's leases stood (Redis and the test share a clock).
    expect(first).toBeGreaterThanOrEqual(expiresAt - 50);
    expect(load.proxies[0]!.peakConnections()).toBeLessThanOrEqual(2);
    await sleep(500);
    expectExactlyOnce(load);
    // Workers write their counters once a second, and on stop.
    await stack.stopWorker();
    const counters = await redis.hgetall(keys(stack.prefix).metrics);
    expect(Number(counters.imap_budget_deferrals ?? 0)).toBeGreaterThan(0);
    // No job failed for good on account of the budget.
    expect(stack.logs.entries().filter((e) => e.msg === "job failed")).toHaveLength(0);
    redis.disconnect();
  }, 120_000);
});

describe("routing to the worker holding the sessions", () => {
  it("jobs routed to a worker that died are moved back to the shared queue by a live one and delivered once", async () => {
    const load = await prepare("orphans", 2, 1, 12, ["wa"]);
    const stack = load.stacks[0]!;
    // What a worker killed right after jobs were routed to it leaves: its affinity queue, listed, no heartbeat.
    const orphaned = createProducer("mail.process", {
      connection: { url: world.redis.url },
      prefix: stack.prefix,
      queueName: affinityQueueName("mail.process", "w:dead"),
    });
    await orphaned.addBulk(load.jobs);
    await stack.redis.sadd(keys(stack.prefix).affinityQueues, "w:dead");
    await stack.startWorker();
    await waitUntil(() => hits(load.path).length >= load.total, 60_000, "orphaned jobs delivered");
    await sleep(500);
    expectExactlyOnce(load);
    expect(await orphaned.queue.count()).toBe(0);
    expect(await stack.redis.smembers(keys(stack.prefix).affinityQueues)).toEqual(["wa"]);
    await orphaned.close();
    // SIGTERM path: the worker leaves the members and takes its id off the list.
    await stack.stopWorker();
    expect(await stack.redis.smembers(keys(stack.prefix).affinityQueues)).toEqual([]);
    expect(await stack.redis.hkeys(keys(stack.prefix).workers)).toEqual([]);
  }, 120_000);
});

describe("session budget leases (real Redis)", () => {
  const ref = { tenantId: "t", mailboxId: "mb" };

  it("grants up to the limit, names the other holders when full, and frees on release", async () => {
    const redis = new Redis(world.redis.url);
    const prefix = `sb${Date.now()}`;
    const a = createSessionBudget({ redis, prefix, workerId: "a", leaseMs: 5_000 });
    const b = createSessionBudget({ redis, prefix, workerId: "b", leaseMs: 5_000 });
    expect(await a.acquire(ref, 0, 2)).toEqual({ ok: true });
    expect(await b.acquire(ref, 0, 2)).toEqual({ ok: true });
    expect(await b.acquire(ref, 1, 2)).toEqual({ ok: false, holders: ["a"] });
    // Re-taking a lease one already holds is no new session.
    expect(await a.acquire(ref, 0, 2)).toEqual({ ok: true });
    await a.release(ref, 0);
    expect(await b.acquire(ref, 1, 2)).toEqual({ ok: true });
    expect((await b.sessions(ref)).map((s) => s.member).sort()).toEqual(["b#0", "b#1"]);
    await Promise.all([a.close(), b.close()]);
    expect(await b.sessions(ref)).toEqual([]);
    // Keys hold worker ids and the mailbox id only, and expire on their own.
    expect(await redis.pttl(keys(prefix).imapSessions("t", "mb"))).toBe(-2);
    redis.disconnect();
  });

  it("renews on one timer, lets an abandoned lease expire, and reports a lease lost to another worker", async () => {
    const redis = new Redis(world.redis.url);
    const prefix = `sb${Date.now()}r`;
    const a = createSessionBudget({ redis, prefix, workerId: "a", leaseMs: 1_000 });
    const lost: number[] = [];
    a.onLost((_ref, n) => lost.push(n));
    expect(await a.acquire(ref, 0, 1)).toEqual({ ok: true });
    // Renewed past its first TTL.
    await sleep(1_500);
    expect((await a.sessions(ref)).map((s) => s.member)).toEqual(["a#0"]);
    // Abandoned (its holder was killed: never renewed, never released): free after its expiry.
    const other = createSessionBudget({ redis, prefix: `${prefix}g`, workerId: "other", leaseMs: 1_000 });
    await redis.zadd(keys(`${prefix}g`).imapSessions("t", "mb"), (await redisNow(redis)) + 300, "dead#0");
    expect(await other.acquire(ref, 0, 1)).toEqual({ ok: false, holders: ["dead"] });
    await sleep(400);
    expect(await other.acquire(ref, 0, 1)).toEqual({ ok: true });
    // a's lease vanished (Redis lost it, or a stalled longer than the TTL) and b took the only slot.
    await redis.zrem(keys(prefix).imapSessions("t", "mb"), "a#0");
    const b = createSessionBudget({ redis, prefix, workerId: "b", leaseMs: 1_000 });
    expect(await b.acquire(ref, 0, 1)).toEqual({ ok: true });
    await waitUntil(() => lost.length > 0, 3_000, "a's lease reported lost");
    expect(lost).toEqual([0]);
    expect((await b.sessions(ref)).map((s) => s.member)).toEqual(["b#0"]);
    expect(a.heldCount()).toBe(0);
    await Promise.all([a.close(), b.close(), other.close()]);
    redis.disconnect();
  });
});
