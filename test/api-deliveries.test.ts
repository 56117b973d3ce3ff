import { planRuleActions } from "@mailhook/pipeline";
import { createProducer, type Producer } from "@mailhook/queue";
import type { DeliveryRecord } from "@mailhook/store";
import { startRedis, type TestRedis } from "@mailhook/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiHarness } from "./support/api.js";

let redis: TestRedis;
let api: ApiHarness;
let noReplay: ApiHarness;
let producer: Producer<"webhook.deliver">;
let token: string;
let tenantId: string;
let ep1: string;
let ep2: string;
// Recent: records older than the retention are trimmed from the indexes.
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3600_000;

function record(i: number, over: Partial<DeliveryRecord>): DeliveryRecord {
  const at = new Date(t0 + i * 60_000).toISOString();
  return {
    id: `msg_test${String(i).padStart(4, "0")}`,
    tenantId,
    endpointId: ep1,
    ruleId: "r1",
    mailboxId: "mbx_a",
    folder: "INBOX",
    uidValidity: 1,
    uid: i + 1,
    messageKey: `mbx_a~INBOX~1~${i + 1}`,
    status: "delivered",
    body: JSON.stringify({ n: i }),
    createdAt: at,
    updatedAt: at,
    seenAt: t0 + i * 60_000,
    attempts: [{ at, status: 200, latencyMs: 12, error: null, responsePreview: "ok", retryAfterMs: null }],
    lastError: null,
    ...over,
  };
}

beforeAll(async () => {
  redis = await startRedis();
  const prefix = `del${Date.now().toString(36)}`;
  producer = createProducer("webhook.deliver", {
    connection: { url: redis.url, maxRetriesPerRequest: null },
    prefix,
  });
  api = new ApiHarness({ redisUrl: redis.url, prefix, deps: { deliveries: producer } });
  noReplay = new ApiHarness({
    redisUrl: redis.url,
    shared: { prefix: api.prefix, store: api.store, redis: api.redis, secrets: api.secrets },
  });
  ({ token, tenantId } = await api.tenant("deliveries"));
  ep1 = (await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/1" })).body.id;
  ep2 = (await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/2" })).body.id;
  // 30 records: every 5th dead on ep2, every 3rd from rule r2, mailboxes alternate.
  for (let i = 0; i < 30; i++) {
    const dead = i % 5 === 0;
    const rec = record(i, {
      endpointId: dead ? ep2 : ep1,
      ruleId: i % 3 === 0 ? "r2" : "r1",
      mailboxId: i % 2 === 0 ? "mbx_a" : "mbx_b",
      // Dead ones go through pending → dead, as the deliverer writes them (that indexes them).
      status: dead ? "pending" : "delivered",
    });
    await api.store.createDelivery(rec);
    if (dead) await api.store.recordAttempt(rec.id, null, "dead", "HTTP 500");
  }
});
afterAll(async () => {
  await producer?.close();
  await Promise.all([api?.stop(), noReplay?.stop()]);
  await redis?.stop();
});

async function all(query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const r = await api.call("GET", `/v1/deliveries?limit=4${query}${cursor ? `&cursor=${cursor}` : ""}`, {
      token,
    });
    expect(r.status).toBe(200);
    ids.push(...r.body.data.map((d: { id: string }) => d.id));
    cursor = r.body.nextCursor;
  } while (cursor);
  return ids;
}

const idOf = (i: number) => `msg_test${String(i).padStart(4, "0")}`;
const range = (pred: (i: number) => boolean) =>
  Array.from({ length: 30 }, (_, i) => 29 - i)
    .filter(pred)
    .map(idOf);

describe("deliveries", () => {
  it("lists newest first across pages, with every filter", async () => {
    expect(await all("")).toEqual(range(() => true));
    expect(await all("&status=dead")).toEqual(range((i) => i % 5 === 0));
    expect(await all(`&endpointId=${ep2}`)).toEqual(range((i) => i % 5 === 0));
    expect(await all("&ruleId=r2&mailboxId=mbx_a")).toEqual(range((i) => i % 3 === 0 && i % 2 === 0));
    const from = new Date(t0 + 10 * 60_000).toISOString();
    const to = new Date(t0 + 20 * 60_000).toISOString();
    expect(await all(`&from=${from}&to=${to}`)).toEqual(range((i) => i >= 10 && i < 20));
    const bad = await api.call("GET", "/v1/deliveries?status=lost&from=yesterday", { token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      "query.from",
      "query.status",
    ]);
  });

  it("gets one with every attempt and the exact body", async () => {
    const r = await api.call("GET", `/v1/deliveries/${idOf(7)}`, { token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: idOf(7),
      status: "delivered",
      body: '{"n":7}',
      attempts: [{ status: 200 }],
    });
  });

  it("another tenant's delivery is 404 on get and replay, exactly like a missing one", async () => {
    const other = await api.tenant("other");
    const a = await api.call("GET", `/v1/deliveries/${idOf(5)}`, { token: other.token });
    const b = await api.call("GET", "/v1/deliveries/msg_doesnotexist", { token: other.token });
    expect(a.status).toBe(404);
    expect(b.status).toBe(404);
    expect(a.body.error.code).toBe(b.body.error.code);
    const r = await api.call("POST", `/v1/deliveries/${idOf(5)}/replay`, { token: other.token });
    expect(r.status).toBe(404);
    expect((await api.store.getDelivery(idOf(5)))?.status).toBe("dead");
    expect(await all("&status=pending")).toEqual([]);
    const list = await api.call("GET", "/v1/deliveries", { token: other.token });
    expect(list.body.data).toEqual([]);
  });

  it("replays one dead delivery: back to pending and a job is queued; a delivered one is a conflict", async () => {
    const r = await api.call("POST", `/v1/deliveries/${idOf(0)}/replay`, { token });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ id: idOf(0), status: "pending" });
    expect((await api.store.getDelivery(idOf(0)))?.status).toBe("pending");
    const jobs = await producer.queue.getJobs(["waiting", "delayed", "prioritized"]);
    expect(jobs.map((j) => j.data.deliveryId)).toContain(idOf(0));
    const done = await api.call("POST", `/v1/deliveries/${idOf(1)}/replay`, { token });
    expect(done.status).toBe(409);
    expect(done.body.error.code).toBe("CONFLICT");
  });

  it("replays every dead delivery of an endpoint", async () => {
    const r = await api.call("POST", `/v1/endpoints/${ep2}/replay-dead`, { token });
    expect(r.status).toBe(202);
    expect([...r.body.replayed].sort()).toEqual([idOf(5), idOf(10), idOf(15), idOf(20), idOf(25)]);
    expect(await all("&status=dead")).toEqual([]);
  });

  it("without a delivery queue, replay answers 501 in the error shape", async () => {
    const r = await noReplay.call("POST", `/v1/deliveries/${idOf(3)}/replay`, { token });
    expect(r.status).toBe(501);
    expect(r.body.error.code).toBe("NOT_IMPLEMENTED");
  });

  it("shows the ack-then-act follow-ups a delivery carries, as the pipeline plans and settles them", async () => {
    const id = "msg_followup01";
    const plan = planRuleActions({
      tenantId,
      mailboxId: "mbx_a",
      folder: "INBOX",
      uidValidity: 1,
      uid: 900,
      messageKey: "mbx_a~INBOX~1~900",
      ruleId: "r1",
      actions: [
        {
          type: "webhook",
          endpoint: ep1,
          include: { text: true, html: false, headers: false, attachments: "metadata", raw: false },
        },
        { type: "move", to: "Processed", after: "webhook" },
        { type: "flag", add: ["$Done"], after: "webhook" },
      ],
      deliveryIds: [id],
      webhookMissing: false,
    });
    expect(plan.followUp).not.toBeNull();
    await api.store.createDelivery(record(40, { id, status: "pending", followUps: [plan.followUp!] }));
    const waiting = await api.call("GET", `/v1/deliveries/${id}`, { token });
    expect(waiting.body.followUps).toEqual([
      {
        state: "waiting",
        reason: null,
        after: [id],
        // In the order mail.act runs them: flags before the message moves away.
        actions: [
          { type: "flag", add: ["$Done"] },
          { type: "move", to: "Processed" },
        ],
      },
    ]);
    expect(waiting.body.seenAt).toBe(new Date(t0 + 40 * 60_000).toISOString());
    await api.store.setFollowUpState(
      id,
      plan.followUp!.jobId,
      "skipped",
      "webhook failed: IMAP actions not run",
    );
    const skipped = await api.call("GET", `/v1/deliveries/${id}`, { token });
    expect(skipped.body.followUps[0]).toMatchObject({
      state: "skipped",
      reason: "webhook failed: IMAP actions not run",
    });
    // A delivery without ack-then-act actions has none.
    expect((await api.call("GET", `/v1/deliveries/${idOf(7)}`, { token })).body.followUps).toEqual([]);
  });
});
