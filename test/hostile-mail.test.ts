import { randomUUID } from "node:crypto";
import { replayDelivery } from "@mailhook/pipeline";
import { createProducer } from "@mailhook/queue";
import { hostileCorpus, makeMail, type ReceivedRequest } from "@mailhook/testing";
import { WebhookPayload } from "@mailhook/webhook";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness } from "./support/api.js";
import { endpointFor, mailboxFor, rules, type Stack, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

// Hostile and malformed mail next to ordinary mail, through the real watcher, worker, Dovecot and
// HTTP receiver: every message reaches a catch-all rule, no ordinary neighbour is held up, and the
// dry run (the API's /v1/rules/test) reads what production read.
const world = useWorld();
const apis: ApiHarness[] = [];
afterAll(async () => {
  await Promise.all(apis.map((a) => a.stop()));
});

/** Differences between the dry run (mailparser) and production (Dovecot's BODYSTRUCTURE), see docs/fetch-planner.md. */
const DOCUMENTED = new Set(["empty-boundary", "empty-subtype", "digest"]);
/** Read from the capped source because the structure could not be used. */
const FROM_SOURCE = new Set(["many-parts", "deeper-rfc822", "broken-boundary", "rfc2231-boundary"]);

const subjects = new WeakMap<ReceivedRequest, string>();
/** The subject of a webhook (parsed once per request: some bodies are megabytes). */
const subjectOf = (r: ReceivedRequest) => {
  let s = subjects.get(r);
  if (s === undefined) {
    s = WebhookPayload.parse(JSON.parse(r.body)).message.subject;
    subjects.set(r, s);
  }
  return s;
};
const collapse = (s: string | null | undefined) => (s ?? "").replace(/[\s\u00a0]+/g, " ").trim();

async function setup(stackOpts: Parameters<typeof world.stack>[0], path: string) {
  const stack: Stack = world.stack(stackOpts);
  const api = new ApiHarness({
    redisUrl: world.redis.url,
    shared: { prefix: stack.prefix, store: stack.store, redis: stack.redis, secrets: stack.secrets },
  });
  apis.push(api);
  const t = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, {
    name: `hostile-${randomUUID().slice(0, 6)}`,
  });
  const k = await api.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "t" });
  const tenantId = t.body.id as string;
  const user = await world.dovecot.createUser("hostile");
  await stack.store.putMailbox(mailboxFor(world.dovecot, user, "hostile", { tenantId }));
  await stack.store.putEndpoint({ ...endpointFor(`${world.receiver.url}${path}`), tenantId });
  await stack.store.putRules(
    tenantId,
    rules([
      {
        id: "catch-all",
        name: "Catch all",
        actions: [{ type: "webhook", endpoint: "hook", include: { text: true, attachments: "content" } }],
      },
    ]),
  );
  await stack.start();
  await waitUntil(
    async () => (await stack.store.getFolderStatuses(tenantId, "hostile")).INBOX?.state === "connected",
    30_000,
    "INBOX connected",
  );
  return { stack, api, user, token: k.body.token as string, tenantId };
}

const hitsAt = (path: string) => world.receiver.requests.filter((r) => r.path === path);
const failedMailJobs = (stack: Stack) =>
  stack.logs.entries().filter((e) => e.msg === "job failed" && e.queue === "mail.process");

describe("hostile mail", () => {
  it("delivers every hostile message to a catch-all rule, ordinary neighbours unharmed, dry run agreeing", async () => {
    const { stack, api, user, token } = await setup({ imapOperationTimeoutMs: 120_000 }, "/hostile");
    const corpus = hostileCorpus();
    const ordinary: string[] = [];
    const raws: Buffer[] = [];
    for (const [i, m] of corpus.entries()) {
      ordinary.push(`ordinary ${i}a`, `ordinary ${i}b`);
      raws.push(
        await makeMail({ subject: `ordinary ${i}a` }),
        m.raw,
        await makeMail({ subject: `ordinary ${i}b` }),
      );
    }
    await world.dovecot.appendMany(user.user, "INBOX", raws);

    const seen = () => new Set(hitsAt("/hostile").map((r) => subjectOf(r)));
    const expected = [...corpus.map((m) => `[hostile:${m.name}] ${m.name}`), ...ordinary];
    await waitUntil(() => expected.every((s) => seen().has(s)), 300_000, "every webhook").catch(() => {
      throw new Error(`missing webhooks: ${expected.filter((s) => !seen().has(s)).join(", ")}`);
    });
    // Exactly once each, and no mail.process job failed: nothing waited for a queue retry.
    expect(hitsAt("/hostile")).toHaveLength(expected.length);
    expect(failedMailJobs(stack)).toEqual([]);

    const payloads = new Map(
      hitsAt("/hostile").map((r) => {
        const p = WebhookPayload.parse(JSON.parse(r.body));
        return [p.message.subject, p.message];
      }),
    );
    for (const m of corpus) {
      const p = payloads.get(`[hostile:${m.name}] ${m.name}`)!;
      expect({ name: m.name, parsedFrom: p.parsedFrom }).toEqual({
        name: m.name,
        parsedFrom: FROM_SOURCE.has(m.name) ? "source" : "bodystructure",
      });
    }
    expect(payloads.get("[hostile:many-parts] many-parts")?.attachments).toHaveLength(4_999);
    expect(payloads.get("[hostile:rfc2231-boundary] rfc2231-boundary")?.text).toContain("first part text");
    expect(payloads.get("[hostile:deeper-rfc822] deeper-rfc822")?.attachments[0]?.contentType).toBe(
      "message/rfc822",
    );
    expect(payloads.get("[hostile:huge-30mb] huge-30mb")?.text).toContain("small text");

    // The dry run never answers 5xx, and reads what production read.
    for (const m of corpus) {
      const r = await api.call("POST", "/v1/rules/test", {
        token,
        body: m.raw,
        headers: { "content-type": "message/rfc822" },
      });
      expect({ name: m.name, status: r.status < 500 }).toEqual({ name: m.name, status: true });
      if (m.raw.length > 25 * 1024 * 1024) {
        expect(r.status).toBe(413);
        continue;
      }
      expect({ name: m.name, status: r.status }).toEqual({ name: m.name, status: 200 });
      const dry = r.body.messages[0];
      expect(dry.results[0].matched).toBe(true);
      if (DOCUMENTED.has(m.name)) continue;
      const p = payloads.get(`[hostile:${m.name}] ${m.name}`)!;
      const n = 60_000;
      expect({ name: m.name, text: collapse(dry.message.text).slice(0, n) }).toEqual({
        name: m.name,
        text: collapse(p.text).slice(0, n),
      });
      expect({ name: m.name, attachments: dry.message.attachments }).toEqual({
        name: m.name,
        attachments: p.attachments.length,
      });
    }
    // Past mailparser's (raised) limits the dry run answers 422 with the reason, never 500.
    const tooBig = Buffer.from(
      `Subject: huge\r\nX-Junk: ${"x".repeat(9 * 1024 * 1024)}\r\n\r\nbody\r\n`,
      "latin1",
    );
    const refused = await api.call("POST", "/v1/rules/test", {
      token,
      body: tooBig,
      headers: { "content-type": "message/rfc822" },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("MESSAGE_UNPARSEABLE");
    expect(refused.body.error.message).toMatch(/header size/i);
  }, 600_000);

  it("a message the server refuses fails alone, with the server's text in its records, the API and a metric", async () => {
    // Guards off: the 5,000-part message becomes one FETCH of 5,000 sections, which Dovecot refuses.
    const { stack, api, user, token, tenantId } = await setup(
      {
        imapOperationTimeoutMs: 60_000,
        fetchShape: {
          sectionsPerCommand: Number.POSITIVE_INFINITY,
          fallbackSections: Number.POSITIVE_INFINITY,
        },
      },
      "/poison",
    );
    const poison = hostileCorpus({ huge: false }).find((m) => m.name === "many-parts")!;
    const neighbours = Array.from({ length: 6 }, (_, i) => `neighbour ${i}`);
    const raws = [
      ...(await Promise.all(neighbours.slice(0, 3).map((s) => makeMail({ subject: s })))),
      poison.raw,
      ...(await Promise.all(neighbours.slice(3).map((s) => makeMail({ subject: s })))),
    ];
    await world.dovecot.appendMany(user.user, "INBOX", raws);

    await waitUntil(
      () => neighbours.every((s) => hitsAt("/poison").some((r) => subjectOf(r) === s)),
      120_000,
      "the six neighbours delivered",
    );
    const failedRecord = async () => {
      const r = await api.call("GET", "/v1/deliveries?status=failed", { token });
      return (r.body.data as { id: string; uid: number; stage?: string; lastError: string | null }[]).find(
        (d) => d.uid === 4,
      );
    };
    await waitUntil(async () => (await failedRecord()) !== undefined, 120_000, "a failed record for UID 4");
    const rec = (await failedRecord())!;
    expect(rec.stage).toBe("fetch");
    // Dovecot's own words, not imapflow's "Command failed".
    expect(rec.lastError).toMatch(/^IMAP fetch failed: BAD .*too (large|long)/i);
    const one = await api.call("GET", `/v1/deliveries/${rec.id}`, { token });
    expect(one.status).toBe(200);
    expect(one.body.stage).toBe("fetch");
    expect(one.body.body).toBe("");
    // Not replayable: there is no payload; mail.process retries the fetch itself.
    const producer = createProducer("webhook.deliver", {
      connection: { url: world.redis.url, maxRetriesPerRequest: null },
      prefix: stack.prefix,
    });
    const replay = await replayDelivery({ store: stack.store, deliveries: producer }, tenantId, rec.id);
    await producer.close();
    expect(replay.ok === false && replay.code).toBe("not-replayable");
    // Counters are written once a second.
    await waitUntil(
      async () => Number(await stack.redis.hget(stack.store.keys.metrics, "fetch_failed")) >= 1,
      10_000,
      "the fetch_failed counter",
    );

    // Neighbours: each delivered once, none of their jobs failed (only the poison's may).
    for (const s of neighbours) expect(hitsAt("/poison").filter((r) => subjectOf(r) === s)).toHaveLength(1);
    const failedUids = new Set(failedMailJobs(stack).map((e) => Number(String(e.jobId).split("~").pop())));
    expect([...failedUids].filter((u) => u !== 4)).toEqual([]);
    expect(hitsAt("/poison").some((r) => subjectOf(r).includes("many-parts"))).toBe(false);
  }, 300_000);
});
