import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createProducer, type JobName, type Producer, purgeTenantJobs } from "@mailhook/queue";
import { makeMail } from "@mailhook/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness } from "./support/api.js";
import { dumpAll, findSecrets, readAll } from "./support/redis-dump.js";
import { type Stack, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const world = useWorld();
const producers: Producer<JobName>[] = [];
const harnesses: ApiHarness[] = [];
afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close()));
  await Promise.all(harnesses.splice(0).map((h) => h.stop()));
});

/** The API on the stack's prefix, store and key: one installation, with tenant deletion wired to its queues. */
function apiFor(stack: Stack): ApiHarness {
  const connection = { url: world.redis.url, maxRetriesPerRequest: null };
  const queues = (["mail.process", "webhook.deliver", "mail.act"] as const).map((n) =>
    createProducer(n, { connection, prefix: stack.prefix }),
  );
  producers.push(...(queues as Producer<JobName>[]));
  const api = new ApiHarness({
    redisUrl: world.redis.url,
    shared: { prefix: stack.prefix, store: stack.store, redis: stack.redis, secrets: stack.secrets },
    deps: {
      deliveries: queues[1],
      leaseTtlMs: 10_000,
      purgeTenantJobs: (tenantId, isTenantJob) =>
        purgeTenantJobs(
          queues.map((q) => q.queue),
          tenantId,
          { redis: stack.redis, isTenantJob },
        ),
    },
  });
  harnesses.push(api);
  return api;
}

/** A tenant with a token, a watched mailbox, an endpoint with a custom Authorization header and a rule. */
async function fullTenant(api: ApiHarness, name: string) {
  const user = await world.dovecot.createUser(name);
  const t = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, { name });
  const k = await api.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "rw" });
  const token = k.body.token as string;
  const header = `Bearer hdr-${randomBytes(18).toString("base64url")}`;
  const apiKey = randomBytes(16).toString("hex");
  const ep = await api.json(
    "POST",
    "/v1/endpoints",
    token,
    { url: `${world.receiver.url}/${name}`, headers: { Authorization: header, "X-Api-Key": apiKey } },
    { "idempotency-key": `ep-${name}` },
  );
  const mbx = await api.json(
    "POST",
    "/v1/mailboxes?verify=true",
    token,
    {
      address: `${user.user}@example.test`,
      host: "127.0.0.1",
      port: world.dovecot.port,
      tls: "none",
      tlsVerify: false,
      auth: { type: "password", user: user.user, password: user.pass },
      folders: ["INBOX"],
    },
    { "idempotency-key": `mbx-${name}` },
  );
  const rule = await api.json("POST", "/v1/rules", token, {
    id: `rule-${name}`,
    name: "All mail",
    when: { field: "subject", op: "contains", value: "hello" },
    actions: [
      { type: "webhook", endpoint: ep.body.id },
      { type: "flag", add: ["$Hooked"], after: "webhook" },
    ],
  });
  expect([t.status, k.status, ep.status, mbx.status, rule.status]).toEqual([201, 201, 201, 201, 201]);
  return {
    user,
    tenantId: t.body.id as string,
    token,
    tokenId: k.body.id as string,
    header,
    apiKey,
    endpointId: ep.body.id as string,
    secret: ep.body.secret as string,
    mailboxId: mbx.body.id as string,
    ruleId: `rule-${name}`,
  };
}

/**
 * Waits until the watcher holds the tenant's mailbox. A new mailbox starts at "new": mail appended
 * before the watcher's first SELECT is existing mail and is never delivered.
 */
async function watched(api: ApiHarness, t: { mailboxId: string; token: string }): Promise<void> {
  await waitUntil(
    async () =>
      (await api.call("GET", `/v1/mailboxes/${t.mailboxId}/status`, { token: t.token })).body.state ===
      "connected",
    15_000,
    `${t.mailboxId} connected`,
  );
}

const hits = (name: string) => world.receiver.requests.filter((r) => r.path === `/${name}`);

async function deliveredIds(api: ApiHarness, token: string, n: number): Promise<string[]> {
  let ids: string[] = [];
  await waitUntil(
    async () => {
      const r = await api.call("GET", "/v1/deliveries?status=delivered", { token });
      ids = (r.body.data as { id: string }[]).map((d) => d.id);
      return ids.length >= n;
    },
    20_000,
    `${n} deliveries delivered`,
  );
  return ids;
}

describe("a stolen Redis dump", () => {
  it("after a full API run holds no password, token, secret or header value in any recoverable form, and no log line does", async () => {
    const stack = world.stack();
    await stack.start();
    const api = apiFor(stack);
    const a = await fullTenant(api, "dump");
    const readOnly = await api.json("POST", `/v1/tenants/${a.tenantId}/tokens`, ADMIN_TOKEN, {
      name: "ro",
      readOnly: true,
    });
    const rotated = await api.json("POST", `/v1/endpoints/${a.endpointId}/rotate-secret`, a.token, {
      overlapSeconds: 3600,
    });
    const oauth = {
      accessToken: `at-${randomBytes(18).toString("base64url")}`,
      refreshToken: `rt-${randomBytes(18).toString("base64url")}`,
      clientSecret: `cs-${randomBytes(18).toString("base64url")}`,
    };
    const oauthMbx = await api.json("POST", "/v1/mailboxes", a.token, {
      address: "o@example.test",
      host: "127.0.0.1",
      port: world.dovecot.port,
      tls: "none",
      enabled: false,
      auth: {
        type: "oauth2",
        user: "o",
        tokenEndpoint: "http://127.0.0.1:9/token",
        clientId: "client",
        ...oauth,
      },
    });
    expect([readOnly.status, rotated.status, oauthMbx.status]).toEqual([201, 200, 201]);

    await watched(api, a);
    await world.dovecot.append(a.user.user, "INBOX", await makeMail({ subject: "hello dump", text: "body" }));
    await waitUntil(() => hits("dump").length >= 1, 20_000, "webhook received");
    // The header was used: it is sealed at rest, not lost.
    expect(hits("dump")[0]?.headers.authorization).toBe(a.header);
    expect(hits("dump")[0]?.headers["x-api-key"]).toBe(a.apiKey);
    await deliveredIds(api, a.token, 1);

    const secrets: Record<string, string> = {
      "IMAP password": a.user.pass,
      "tenant token": a.token,
      "read-only token": readOnly.body.token,
      "admin token": ADMIN_TOKEN,
      "signing secret": a.secret,
      "signing secret key": a.secret.replace(/^whsec_/, ""),
      "rotated signing secret": rotated.body.secret,
      "Authorization header": a.header,
      "Authorization credential": a.header.replace(/^Bearer /, ""),
      "X-Api-Key header": a.apiKey,
      "access token": oauth.accessToken,
      "refresh token": oauth.refreshToken,
      "client secret": oauth.clientSecret,
    };
    // The raw signing key bytes, as a receiver's library would hold them.
    const keyBytes = Buffer.from(a.secret.replace(/^whsec_/, ""), "base64");
    secrets["signing key hex"] = keyBytes.toString("hex");

    // An RDB as a backup holds it: compression off, so nothing hides in an LZF block.
    const redis = stack.redis;
    await redis.config("SET", "rdbcompression", "no");
    await redis.save();
    const [, dir] = (await redis.config("GET", "dir")) as [string, string];
    const [, file] = (await redis.config("GET", "dbfilename")) as [string, string];
    const rdb = readFileSync(join(dir, file)).toString("latin1");
    const values = await readAll(redis);
    const readable = [...values].map(([k, v]) => `${k}\n${v}`).join("\n");
    const dumps = await dumpAll(redis, values.keys());
    const logs = `${api.logs.text()}\n${stack.logs.text()}`;

    // Not vacuous: the same greps find what is stored or logged in clear.
    expect(rdb).toContain(a.user.user);
    expect(rdb).toContain(`${world.receiver.url}/dump`);
    expect(readable).toContain(a.endpointId);
    expect(dumps).toContain(a.mailboxId);
    expect(logs).toContain(a.tenantId);
    expect(values.size).toBeGreaterThan(20);
    expect(findSecrets({ "mailbox user": a.user.user }, { "the RDB file": rdb })).not.toEqual([]);

    expect(
      findSecrets(secrets, { "the RDB file": rdb, "a key's value": readable, "a DUMP": dumps, logs }),
    ).toEqual([]);
  });
});

describe("tenant deletion", () => {
  it("removes every key of the tenant (records, cursors, leases, queues' jobs), releases its watchers, and leaves another tenant untouched", async () => {
    const stack = world.stack();
    await stack.start();
    const api = apiFor(stack);
    const a = await fullTenant(api, "gone");
    const b = await fullTenant(api, "stays");
    await api.json("PATCH", `/v1/tenants/${a.tenantId}/quotas`, ADMIN_TOKEN, { endpoints: 9 });
    for (const t of [a, b]) {
      await watched(api, t);
      await world.dovecot.append(t.user.user, "INBOX", await makeMail({ subject: "hello 1" }));
    }
    const aDeliveries = await deliveredIds(api, a.token, 1);
    const bDeliveries = await deliveredIds(api, b.token, 1);
    // The flag actions ran after the webhooks (progress markers written). B's too: its record must
    // not change between the two snapshots below for any reason but the deletion.
    for (const id of [aDeliveries[0] ?? "", bDeliveries[0] ?? ""])
      await waitUntil(
        async () => (await stack.store.getDelivery(id))?.followUps?.[0]?.state === "done",
        20_000,
        `flag action of ${id} done`,
      );
    const rec = await stack.store.getDelivery(aDeliveries[0] ?? "");
    const actJob = rec?.followUps?.[0]?.jobId ?? "";
    // A retry waiting in the queue.
    await producers[1]?.add(
      "msg_gone_retry",
      { tenantId: a.tenantId, deliveryId: "msg_gone_retry" },
      { delay: 3_600_000 },
    );

    const aIds: Record<string, string> = {
      tenant: a.tenantId,
      token: a.tokenId,
      "token hash": createHash("sha256").update(a.token).digest("hex"),
      mailbox: a.mailboxId,
      endpoint: a.endpointId,
      rule: a.ruleId,
      delivery: aDeliveries[0] ?? "",
      "act job": actJob,
      "queued job": "msg_gone_retry",
    };
    const bIds = [b.tenantId, b.tokenId, b.mailboxId, b.endpointId, b.ruleId];
    const before = await readAll(stack.redis);
    const mentions = (snapshot: Map<string, string>, ids: string[]) =>
      [...snapshot].filter(([k, v]) => ids.some((id) => k.includes(id) || v.includes(id)));
    // Not vacuous: every identifier of A is somewhere in Redis now.
    for (const [what, id] of Object.entries(aIds)) {
      expect(id, what).not.toBe("");
      expect(mentions(before, [id]).length, what).toBeGreaterThan(0);
    }
    expect(stack.watcher?.supervisor.owned()).toContain(`${a.tenantId}/${a.mailboxId}`);

    const del = await api.call("DELETE", `/v1/tenants/${a.tenantId}`, { token: ADMIN_TOKEN });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({
      tenantId: a.tenantId,
      mailboxes: 1,
      endpoints: 1,
      rules: 1,
      tokens: 1,
      leasesLeft: 0,
    });
    expect(del.body.jobs).toBeGreaterThanOrEqual(1);
    expect(del.body.deliveries).toBeGreaterThanOrEqual(1);

    const after = await readAll(stack.redis);
    const left = mentions(after, Object.values(aIds)).map(([k]) => k);
    expect(left).toEqual([]);
    expect(stack.watcher?.supervisor.owned()).not.toContain(`${a.tenantId}/${a.mailboxId}`);
    expect((await api.call("GET", "/v1/mailboxes", { token: a.token })).status).toBe(401);
    expect((await api.call("GET", `/v1/tenants/${a.tenantId}`, { token: ADMIN_TOKEN })).status).toBe(404);

    // The other tenant: every key of its own is there, unchanged (rate counters and re-SELECT stamps aside); in keys all
    // tenants share (the mailbox hash, the token index, queues' event streams) its part is unchanged.
    const volatile = (k: string) => k.includes(":rl:");
    // The watcher re-SELECTs every second and stamps the cursor with when it did.
    const json = (v: string | undefined): unknown => {
      try {
        return JSON.parse(v ?? "null");
      } catch {
        return v;
      }
    };
    const steady = (v: string | undefined) => {
      const parsed = json(v);
      if (parsed && typeof parsed === "object" && "verifiedAt" in parsed)
        return { ...parsed, verifiedAt: "*" };
      return parsed;
    };
    const aboutB = (x: unknown) => bIds.some((id) => JSON.stringify(x).includes(id));
    const partOfB = (v: string | undefined) => {
      const parsed = json(v);
      if (Array.isArray(parsed)) return parsed.filter(aboutB);
      if (parsed && typeof parsed === "object") return Object.entries(parsed).filter(aboutB);
      return parsed;
    };
    for (const [k, v] of mentions(before, bIds)) {
      if (volatile(k)) continue;
      if (aboutB(k)) expect(steady(after.get(k)), k).toEqual(steady(v));
      else expect(partOfB(after.get(k)), k).toEqual(partOfB(v));
    }

    // Its mail keeps flowing; the deleted tenant's does not (no watcher holds it any more).
    await world.dovecot.append(a.user.user, "INBOX", await makeMail({ subject: "hello 2" }));
    await world.dovecot.append(b.user.user, "INBOX", await makeMail({ subject: "hello 2" }));
    await waitUntil(() => hits("stays").length >= 2, 20_000, "second webhook of the remaining tenant");
    expect(hits("gone")).toHaveLength(1);
  });
});
