import {
  makeMail,
  startDovecot,
  startReceiver,
  startRedis,
  type TestDovecot,
  type TestReceiver,
  type TestRedis,
} from "@mailhook/testing";
import { WebhookPayload } from "@mailhook/webhook";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness } from "./support/api.js";
import { Stack, sleep, waitUntil } from "./support/stack.js";

let redis: TestRedis;
let dovecot: TestDovecot;
let receiver: TestReceiver;
let stack: Stack;
let api: ApiHarness;

beforeAll(async () => {
  [redis, dovecot, receiver] = await Promise.all([startRedis(), startDovecot(), startReceiver()]);
  stack = new Stack({ redisUrl: redis.url });
  // The API and the pipeline share the prefix, store and secret box: one installation.
  api = new ApiHarness({
    redisUrl: redis.url,
    shared: { prefix: stack.prefix, store: stack.store, redis: stack.redis, secrets: stack.secrets },
  });
  await stack.start();
});
afterAll(async () => {
  await api?.stop();
  await stack?.stop();
  await Promise.all([redis?.stop(), dovecot?.stop(), receiver?.stop()]);
});

const hits = (path: string) => receiver.requests.filter((r) => r.path === path);

describe("configured through the API alone", () => {
  it("tenant → token → endpoint → mailbox → rule, then mail becomes a signed webhook; live edits apply", async () => {
    const user = await dovecot.createUser("e2eapi");
    const t = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: "Acme" });
    const k = await api.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "setup" });
    const token = k.body.token as string;
    const tenantId = t.body.id as string;

    const ep = await api.json("POST", "/v1/endpoints", token, {
      url: `${receiver.url}/acme`,
      headers: { Authorization: "Bearer receiver-key-e2e" },
    });
    expect(ep.status).toBe(201);
    const mbx = await api.json("POST", "/v1/mailboxes?verify=true", token, {
      address: `${user.user}@example.test`,
      host: "127.0.0.1",
      port: dovecot.port,
      tls: "none",
      tlsVerify: false,
      auth: { type: "password", user: user.user, password: user.pass },
      folders: ["INBOX"],
    });
    expect(mbx.status).toBe(201);
    const rule = await api.json("POST", "/v1/rules", token, {
      id: "invoices",
      name: "Invoices",
      when: { field: "subject", op: "contains", value: "invoice" },
      actions: [{ type: "webhook", endpoint: ep.body.id, include: { text: true } }],
    });
    expect(rule.status).toBe(201);

    // Creating the mailbox starts watching within seconds (the store's change notice wakes the watcher).
    const created = Date.now();
    await waitUntil(
      async () =>
        (await api.call("GET", `/v1/mailboxes/${mbx.body.id}/status`, { token })).body.state === "connected",
      10_000,
      "mailbox connected",
    );
    const status = await api.call("GET", `/v1/mailboxes/${mbx.body.id}/status`, { token });
    expect(Date.now() - created).toBeLessThan(5_000);
    expect(status.body.folders[0]).toMatchObject({
      folder: "INBOX",
      state: "connected",
      idleSince: expect.any(String),
    });

    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "Invoice #1", text: "pay me" }));
    await waitUntil(() => hits("/acme").length >= 1, 10_000, "first webhook");
    const [req] = hits("/acme");
    const payload = WebhookPayload.parse(
      new Webhook(ep.body.secret).verify(req?.body ?? "", req?.headers ?? {}),
    );
    expect(payload).toMatchObject({
      tenant: tenantId,
      rule: { id: "invoices" },
      mailbox: { id: mbx.body.id },
    });
    expect(payload.message.text).toContain("pay me");
    expect(req?.headers.authorization).toBe("Bearer receiver-key-e2e");

    // The delivery is visible through the API, with its attempt.
    await waitUntil(
      async () =>
        (await api.call("GET", "/v1/deliveries?status=delivered", { token })).body.data.length === 1,
      5_000,
      "delivery recorded",
    );
    const list = await api.call("GET", `/v1/deliveries?endpointId=${ep.body.id}`, { token });
    const one = await api.call("GET", `/v1/deliveries/${list.body.data[0].id}`, { token });
    expect(one.body).toMatchObject({
      id: req?.headers["webhook-id"],
      status: "delivered",
      attempts: [{ status: 200 }],
    });

    // A dry run of the mailbox's latest message shows the payload the worker sent, byte for byte
    // but the build time: the same function builds both, from the same planned fetch.
    const dry = await api.json("POST", "/v1/rules/test", token, {
      mailbox: { id: mbx.body.id, folder: "INBOX", last: 1 },
      ruleIds: ["invoices"],
    });
    expect(dry.status).toBe(200);
    const [shown] = dry.body.messages[0].results[0].webhooks;
    expect(shown).toMatchObject({ deliveryId: req?.headers["webhook-id"], endpointExists: true });
    expect({ ...shown.payload, timestamp: "t" }).toEqual({ ...payload, timestamp: "t" });

    // A rule edit applies to the next message.
    const cur = await api.call("GET", "/v1/rules/invoices", { token });
    const put = await api.json(
      "PUT",
      "/v1/rules/invoices",
      token,
      {
        name: "Receipts",
        when: { field: "subject", op: "contains", value: "receipt" },
        actions: [{ type: "webhook", endpoint: ep.body.id }],
      },
      { "if-match": cur.headers.get("etag") ?? "" },
    );
    expect(put.status).toBe(200);
    // An endpoint edit applies to the next attempt: rotate the secret without overlap.
    const rot = await api.json("POST", `/v1/endpoints/${ep.body.id}/rotate-secret`, token, {
      overlapSeconds: 0,
    });
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "Invoice #2" }));
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "Receipt #3" }));
    await waitUntil(() => hits("/acme").length >= 2, 10_000, "second webhook");
    await sleep(700);
    expect(hits("/acme")).toHaveLength(2);
    const second = hits("/acme")[1];
    const p2 = WebhookPayload.parse(
      new Webhook(rot.body.secret).verify(second?.body ?? "", second?.headers ?? {}),
    );
    expect(p2.message.subject).toBe("Receipt #3");
    expect(() => new Webhook(ep.body.secret).verify(second?.body ?? "", second?.headers ?? {})).toThrow();

    // Disabling the mailbox stops its IDLE connection and releases its lease.
    const lease = stack.store.keys.lease(tenantId, mbx.body.id);
    expect(await stack.redis.exists(lease)).toBe(1);
    await api.json("PATCH", `/v1/mailboxes/${mbx.body.id}`, token, { enabled: false });
    await waitUntil(async () => (await stack.redis.exists(lease)) === 0, 5_000, "lease released");
    await waitUntil(
      async () => (await stack.store.getFolderStatuses(tenantId, mbx.body.id)).INBOX?.state === "stopped",
      5_000,
      "folder stopped",
    );
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "Receipt #4 while disabled" }));
    await sleep(1_000);
    expect(hits("/acme")).toHaveLength(2);

    // Deleting it keeps it stopped, and it is gone from the API.
    expect((await api.call("DELETE", `/v1/mailboxes/${mbx.body.id}`, { token })).status).toBe(204);
    expect((await api.call("GET", `/v1/mailboxes/${mbx.body.id}`, { token })).status).toBe(404);

    // No credential appears in any log line of the API, the watcher or the worker.
    await sleep(50);
    const logs = `${api.logs.text()}\n${stack.logs.text()}`;
    for (const secret of [user.pass, token, ep.body.secret, rot.body.secret, "receiver-key-e2e"]) {
      expect(logs.includes(secret), "a secret in the logs").toBe(false);
    }
    expect(api.logs.lines.length).toBeGreaterThan(10);
  });
});
