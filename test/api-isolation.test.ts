import { createProducer, type Producer } from "@mailhook/queue";
import { startRedis, type TestRedis } from "@mailhook/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness, isErrorShape } from "./support/api.js";
import { fillPath, type ResourceIds, routeCases } from "./support/api-routes.js";

/** POSTs that change nothing (dry runs, a mailbox's connection test): read-only tokens may use them. */
const READ_ONLY_POSTS = ["/v1/mailboxes/:id/test", "/v1/rules/test"];

let redis: TestRedis;
let api: ApiHarness;
let producer: Producer<"webhook.deliver">;
let mailJobs: Producer<"mail.process">;

interface Tenant {
  token: string;
  readOnly: string;
  ids: ResourceIds;
}

/** A tenant with one of everything, its delivery dead so that replay would act on it. */
async function populated(name: string): Promise<Tenant> {
  const { tenantId, token } = await api.tenant(name);
  const ro = await api.json("POST", `/v1/tenants/${tenantId}/tokens`, ADMIN_TOKEN, {
    name: "ro",
    readOnly: true,
  });
  const mbx = await api.json("POST", "/v1/mailboxes", token, {
    address: "a@b.test",
    host: "127.0.0.1",
    port: 1,
    tls: "none",
    auth: { type: "password", user: "u", password: `pw-${name}` },
  });
  const ep = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/x" });
  const rule = await api.json("POST", "/v1/rules", token, {
    name: "r",
    actions: [{ type: "webhook", endpoint: ep.body.id }],
  });
  const now = new Date().toISOString();
  const delivery = `msg_${name}_delivery`;
  await api.store.createDelivery({
    id: delivery,
    tenantId,
    endpointId: ep.body.id,
    ruleId: rule.body.id,
    mailboxId: mbx.body.id,
    folder: "INBOX",
    uidValidity: 1,
    uid: 1,
    messageKey: `${mbx.body.id}~INBOX~1~1`,
    status: "pending",
    body: "{}",
    createdAt: now,
    updatedAt: now,
    seenAt: Date.now(),
    attempts: [],
    lastError: null,
  });
  await api.store.recordAttempt(delivery, null, "dead", "HTTP 500");
  for (const [what, r] of Object.entries({ mbx, ep, rule }))
    if (r.status !== 201) throw new Error(`${what}: ${r.text}`);
  return {
    token,
    readOnly: ro.body.token,
    ids: {
      tenantId,
      tokenId: ro.body.id,
      mailbox: mbx.body.id,
      endpoint: ep.body.id,
      rule: rule.body.id,
      delivery,
    },
  };
}

/** Everything Redis holds for a tenant (its keys and its entries in shared hashes), for before/after comparison. */
async function snapshot(t: Tenant): Promise<string> {
  const out: string[] = [];
  const keys = (await api.redis.keys(`${api.prefix}:*`))
    .filter((k) => !/:rl:|:idem:|:oauth-lock:/.test(k))
    .sort();
  for (const k of keys) {
    const type = await api.redis.type(k);
    let value: unknown;
    // Shared hashes (mailboxes of every tenant, token hashes): only this tenant's entries.
    if (type === "hash")
      value = Object.fromEntries(
        Object.entries(await api.redis.hgetall(k)).filter(
          ([f, v]) => k.includes(t.ids.tenantId) || f.includes(t.ids.tenantId) || v.includes(t.ids.tenantId),
        ),
      );
    else if (type === "string") value = await api.redis.get(k);
    else if (type === "zset") value = await api.redis.zrange(k, 0, -1);
    else if (type === "set") value = (await api.redis.smembers(k)).sort();
    else if (type === "list") value = await api.redis.lrange(k, 0, -1);
    const text = JSON.stringify(value);
    if (k.includes(t.ids.tenantId) || text.includes(t.ids.tenantId)) out.push(`${k} ${text}`);
  }
  return out.join("\n");
}

beforeAll(async () => {
  redis = await startRedis();
  const prefix = `iso${Date.now().toString(36)}`;
  producer = createProducer("webhook.deliver", {
    connection: { url: redis.url, maxRetriesPerRequest: null },
    prefix,
  });
  mailJobs = createProducer("mail.process", {
    connection: { url: redis.url, maxRetriesPerRequest: null },
    prefix,
  });
  api = new ApiHarness({ redisUrl: redis.url, prefix, deps: { deliveries: producer, mailJobs } });
});
afterAll(async () => {
  await producer?.close();
  await mailJobs?.close();
  await api?.stop();
  await redis?.stop();
});

describe("tenant isolation matrix", () => {
  it("tenant A's token on every route with tenant B's ids: 404 or 403, identical to a missing id, nothing changed", async () => {
    const a = await populated("a");
    const b = await populated("b");
    const before = await snapshot(b);
    const missing: ResourceIds = {
      tenantId: "ten_missing",
      tokenId: "tok_missing",
      mailbox: "mbx_missing",
      endpoint: "ep_missing",
      rule: "rul_missing",
      delivery: "msg_missing",
    };
    const rows: string[] = [];
    for (const token of [a.token, a.readOnly]) {
      for (const c of routeCases(b.ids)) {
        const send = (path: string) =>
          c.body === undefined
            ? api.call(c.method, path, { token })
            : api.call(c.method, path, {
                token,
                body: typeof c.body === "string" ? c.body : JSON.stringify(c.body),
                headers: { "content-type": c.contentType ?? "application/json", ...c.headers },
              });
        const r = await send(fillPath(c, b.ids));
        rows.push(`${c.method} ${c.path} ${r.status}`);
        expect(isErrorShape(r.body) || r.status < 300, `${c.method} ${c.path}`).toBe(true);
        if (c.kind === "admin") {
          expect(r.status, `${c.method} ${c.path}`).toBe(403);
          continue;
        }
        if (c.id) {
          const m = await send(fillPath(c, missing));
          const readOnlyWrite =
            token === a.readOnly && !["GET"].includes(c.method) && !READ_ONLY_POSTS.includes(c.path);
          expect(r.status, `${c.method} ${c.path}`).toBe(readOnlyWrite ? 403 : 404);
          // No existence leak: B's id and a missing id answer alike (same status, same code).
          expect(m.status, `${c.method} ${c.path} missing`).toBe(r.status);
          expect(m.body.error.code).toBe(r.body.error.code);
        }
      }
    }
    // Lists show only A's own resources.
    for (const path of ["/v1/mailboxes", "/v1/endpoints", "/v1/rules", "/v1/deliveries"]) {
      const r = await api.call("GET", path, { token: a.token });
      const text = JSON.stringify(r.body);
      for (const id of [b.ids.mailbox, b.ids.endpoint, b.ids.rule, b.ids.delivery])
        expect(text, path).not.toContain(id);
    }
    const after = await snapshot(b);
    if (after !== before) {
      const x = before.split("\n");
      const y = after.split("\n");
      throw new Error(
        `changed:\n-${x.filter((l) => !y.includes(l)).join("\n-")}\n+${y.filter((l) => !x.includes(l)).join("\n+")}`,
      );
    }
    // And B still works with its own token (the matrix really hit B's ids, not a typo).
    expect((await api.call("GET", `/v1/mailboxes/${b.ids.mailbox}`, { token: b.token })).status).toBe(200);
    expect((await api.call("GET", `/v1/deliveries/${b.ids.delivery}`, { token: b.token })).status).toBe(200);
    expect(rows.length).toBe(2 * routeCases(b.ids).length);
  });

  it("lists are exact per tenant even when one tenant id is a prefix of another", async () => {
    const tokens: Record<string, string> = {};
    for (const id of ["pre", "pre-x", "pre_"]) {
      await api.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: id, id });
      tokens[id] = (
        await api.json("POST", `/v1/tenants/${id}/tokens`, ADMIN_TOKEN, { name: "t" })
      ).body.token;
      await api.json("POST", "/v1/mailboxes", tokens[id], {
        address: `${id}@b.test`,
        host: "127.0.0.1",
        tls: "none",
        auth: { type: "password", user: "u", password: "p" },
      });
    }
    for (const id of ["pre", "pre-x", "pre_"]) {
      const r = await api.call("GET", "/v1/mailboxes", { token: tokens[id] });
      expect(r.body.data.map((m: { address: string }) => m.address)).toEqual([`${id}@b.test`]);
    }
  });

  it("the same routes with the tenant's own ids succeed (the matrix is not vacuous)", async () => {
    const a = await populated("own");
    const ok: string[] = [];
    // Deletes last, so the other routes still find what they act on.
    const cases = routeCases(a.ids).sort(
      (x, y) => Number(x.method === "DELETE") - Number(y.method === "DELETE"),
    );
    for (const c of cases) {
      if (c.kind === "admin") continue;
      const r =
        c.body === undefined
          ? await api.call(c.method, fillPath(c, a.ids), { token: a.token })
          : await api.call(c.method, fillPath(c, a.ids), {
              token: a.token,
              body: typeof c.body === "string" ? c.body : JSON.stringify(c.body),
              headers: { "content-type": c.contentType ?? "application/json", ...c.headers },
            });
      // Deleting an endpoint a rule uses is a legitimate 409; everything else succeeds.
      if (
        r.status < 300 ||
        r.status === c.ownStatus ||
        (c.method === "DELETE" && c.path === "/v1/endpoints/:id" && r.status === 409)
      )
        ok.push(c.path);
      else throw new Error(`${c.method} ${c.path}: ${r.status} ${r.text}`);
    }
    expect(ok.length).toBe(routeCases(a.ids).filter((c) => c.kind === "tenant").length);
  });
});
