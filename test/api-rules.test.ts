import { seedFromConfig } from "@mailhook/store";
import { generateSecret } from "@mailhook/webhook";
import { beforeEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, isErrorShape, useApi } from "./support/api.js";

let token: string;
let tenantId: string;
let endpointId: string;

const api = useApi();
beforeEach(async () => {
  ({ token, tenantId } = await api.tenant("rules"));
  const ep = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/hook" });
  endpointId = ep.body.id;
});

const rule = (over: Record<string, unknown> = {}) => ({
  name: "Invoices",
  when: { field: "subject", op: "contains", value: "invoice" },
  actions: [{ type: "webhook", endpoint: endpointId }],
  ...over,
});

describe("rules CRUD", () => {
  it("happy: create, get with ETag, replace with If-Match, delete", async () => {
    const c = await api.json("POST", "/v1/rules", token, rule({ id: "inv" }));
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      id: "inv",
      name: "Invoices",
      enabled: true,
      priority: 100,
      managed: "api",
    });
    const etag = c.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
    expect(c.body.etag).toBe(etag);

    const g = await api.call("GET", "/v1/rules/inv", { token });
    expect(g.headers.get("etag")).toBe(etag);
    const before = await api.store.rulesVersion(tenantId);

    const p = await api.json("PUT", "/v1/rules/inv", token, rule({ name: "Renamed" }), {
      "if-match": etag ?? "",
    });
    expect(p.status).toBe(200);
    expect(p.body.name).toBe("Renamed");
    expect(p.headers.get("etag")).not.toBe(etag);
    // The worker re-reads rules when the version moves: edits apply to the next message.
    expect(await api.store.rulesVersion(tenantId)).toBeGreaterThan(before);
    expect((await api.store.listRules(tenantId))[0]?.name).toBe("Renamed");

    const d = await api.call("DELETE", "/v1/rules/inv", { token });
    expect(d.status).toBe(204);
    expect(await api.store.listRules(tenantId)).toEqual([]);
    expect((await api.call("GET", "/v1/rules/inv", { token })).status).toBe(404);
  });

  it("lost updates: PUT without If-Match is 428, with a stale ETag 412, and nothing changes", async () => {
    const c = await api.json("POST", "/v1/rules", token, rule({ id: "r1" }));
    const first = c.headers.get("etag") ?? "";
    const a = await api.json("PUT", "/v1/rules/r1", token, rule({ name: "A" }), { "if-match": first });
    expect(a.status).toBe(200);
    const noHeader = await api.json("PUT", "/v1/rules/r1", token, rule({ name: "B" }));
    expect(noHeader.status).toBe(428);
    expect(noHeader.body.error.code).toBe("PRECONDITION_REQUIRED");
    const stale = await api.json("PUT", "/v1/rules/r1", token, rule({ name: "B" }), { "if-match": first });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe("PRECONDITION_FAILED");
    expect((await api.store.listRules(tenantId))[0]?.name).toBe("A");
    const staleDelete = await api.call("DELETE", "/v1/rules/r1", { token, headers: { "if-match": first } });
    expect(staleDelete.status).toBe(412);
    expect(await api.store.listRules(tenantId)).toHaveLength(1);
  });

  it("concurrent writers with the same ETag: exactly one wins", async () => {
    const c = await api.json("POST", "/v1/rules", token, rule({ id: "race" }));
    const etag = c.headers.get("etag") ?? "";
    const results = await Promise.all(
      ["X", "Y", "Z", "W"].map((n) =>
        api.json("PUT", "/v1/rules/race", token, rule({ name: n }), { "if-match": etag }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412, 412]);
    const winner = results.find((r) => r.status === 200)?.body.name;
    expect((await api.store.listRules(tenantId))[0]?.name).toBe(winner);
  });

  it("enable / disable and reorder", async () => {
    for (const id of ["a", "b", "c"]) await api.json("POST", "/v1/rules", token, rule({ id }));
    const d = await api.call("POST", "/v1/rules/b/disable", { token });
    expect(d.status).toBe(200);
    expect(d.body.enabled).toBe(false);
    expect((await api.store.listRules(tenantId)).find((r) => r.id === "b")?.enabled).toBe(false);
    expect((await api.call("POST", "/v1/rules/b/enable", { token })).body.enabled).toBe(true);

    const r = await api.json("POST", "/v1/rules/reorder", token, { ids: ["c", "a", "b"] });
    expect(r.status).toBe(200);
    const list = await api.call("GET", "/v1/rules", { token });
    expect(list.body.data.map((x: { id: string }) => x.id)).toEqual(["c", "a", "b"]);
    expect(list.body.data.map((x: { priority: number }) => x.priority)).toEqual([10, 20, 30]);

    const partial = await api.json("POST", "/v1/rules/reorder", token, { ids: ["c", "a", "a", "zz"] });
    expect(partial.status).toBe(400);
    expect(partial.body.error.details.map((x: { reason: string }) => x.reason)).toEqual([
      "listed twice",
      'no rule "zz"',
      'rule "b" is missing',
    ]);
  });

  it("validation lists every problem with its path", async () => {
    const r = await api.json("POST", "/v1/rules", token, {
      name: "",
      when: {
        all: [
          { field: "subject", op: "matches", value: "(" },
          { field: "nope", op: "equals", value: 1 },
        ],
      },
      actions: [{ type: "webhook", endpoint: "ep_missing" }],
    });
    expect(r.status).toBe(400);
    expect(isErrorShape(r.body)).toBe(true);
    const paths = r.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining(["body.name", "body.when.all[0].value", "body.when.all[1].field"]),
    );
    // Cross-references are checked once the rule itself is valid: another tenant's endpoint is unknown.
    const other = await api.tenant("other");
    const foreign = await api.json("POST", "/v1/endpoints", other.token, { url: "http://127.0.0.1:9/o" });
    const x = await api.json(
      "POST",
      "/v1/rules",
      token,
      rule({ actions: [{ type: "webhook", endpoint: foreign.body.id }] }),
    );
    expect(x.status).toBe(400);
    expect(x.body.error.details).toEqual([
      { path: "body.actions[0].endpoint", reason: `no endpoint ${JSON.stringify(foreign.body.id)}` },
    ]);
    expect(await api.store.listRules(tenantId)).toEqual([]);
  });

  it("invalid path ids and headers on rule routes answer in the error shape too (their own hook)", async () => {
    const long = "x".repeat(300);
    const r = await api.json("PUT", `/v1/rules/${long}`, token, rule(), { "if-match": "*" });
    expect(r.status).toBe(400);
    expect(isErrorShape(r.body)).toBe(true);
    expect(r.body.error.details[0].path).toBe("path.id");
    const h = await api.json("PUT", "/v1/rules/any", token, rule(), { "if-match": "y".repeat(300) });
    expect(h.status).toBe(400);
    expect(h.body.error.details[0].path).toBe("header.if-match");
    const k = await api.json("POST", "/v1/rules", token, rule(), { "idempotency-key": "has space" });
    expect(k.status).toBe(400);
    expect(k.body.error.details[0].path).toBe("header.idempotency-key");
  });

  it("pagination: rules in run order across pages", async () => {
    for (let i = 0; i < 5; i++)
      await api.json("POST", "/v1/rules", token, rule({ id: `p${i}`, priority: 50 - i }));
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await api.call("GET", `/v1/rules?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token });
      ids.push(...r.body.data.map((x: { id: string }) => x.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(ids).toEqual(["p4", "p3", "p2", "p1", "p0"]);
  });
});

describe("idempotency", () => {
  it("the same key and body answer with the first response; a different body is refused", async () => {
    const key = { "idempotency-key": "create-1" };
    const a = await api.json("POST", "/v1/rules", token, rule(), key);
    const b = await api.json("POST", "/v1/rules", token, rule(), key);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(await api.store.listRules(tenantId)).toHaveLength(1);
    const c = await api.json("POST", "/v1/rules", token, rule({ name: "Other" }), key);
    expect(c.status).toBe(422);
    expect(c.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    // Another tenant's identical key is its own.
    const other = await api.tenant("idem-other");
    const ep = await api.json("POST", "/v1/endpoints", other.token, { url: "http://127.0.0.1:9/o" }, key);
    expect(ep.status).toBe(201);
    expect(ep.headers.get("idempotent-replayed")).toBeNull();
  });

  it("a failed first attempt releases the key", async () => {
    const key = { "idempotency-key": "retry-after-fix" };
    const bad = await api.json("POST", "/v1/endpoints", token, { url: "http://169.254.169.254/latest" }, key);
    expect(bad.status).toBe(422);
    const good = await api.json(
      "POST",
      "/v1/endpoints",
      token,
      { url: "http://169.254.169.254/latest" },
      key,
    );
    expect(good.status).toBe(422);
    expect(good.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("config-file precedence", () => {
  it("resources seeded from mailhook.yaml are refused with MANAGED_BY_FILE", async () => {
    const t = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, {
      name: "seeded",
      id: `seed-${Date.now()}`,
    });
    const k = await api.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "x" });
    await seedFromConfig(
      api.store,
      {
        tenant: t.body.id,
        mailboxes: [],
        endpoints: [{ id: "file-ep", url: "http://127.0.0.1:9/f", headers: {}, enabled: true }],
        rules: [
          {
            id: "file-rule",
            name: "From file",
            enabled: true,
            priority: 1,
            stop: false,
            actions: [
              {
                type: "webhook",
                endpoint: "file-ep",
                include: { text: true, html: false, headers: false, attachments: "metadata", raw: false },
              },
            ],
          },
        ],
      },
      generateSecret,
    );
    const g = await api.call("GET", "/v1/rules/file-rule", { token: k.body.token });
    expect(g.body.managed).toBe("file");
    const put = await api.json(
      "PUT",
      "/v1/rules/file-rule",
      k.body.token,
      { name: "x", actions: [{ type: "webhook", endpoint: "file-ep" }] },
      {
        "if-match": g.headers.get("etag") ?? "",
      },
    );
    expect(put.status).toBe(409);
    expect(put.body.error.code).toBe("MANAGED_BY_FILE");
    expect(put.body.error.message).toMatch(/mailhook\.yaml/);
    expect((await api.call("DELETE", "/v1/endpoints/file-ep", { token: k.body.token })).status).toBe(409);
    expect((await api.call("POST", "/v1/rules/file-rule/disable", { token: k.body.token })).status).toBe(409);
  });
});

describe("POST /v1/rules/test", () => {
  const eml = [
    "From: Billing <billing@vendor.com>",
    "To: invoices@acme.test",
    "Subject: Invoice #4711",
    "Message-ID: <x1@vendor.com>",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Please pay.",
    "",
  ].join("\r\n");

  it("explains saved rules against a raw message/rfc822 body", async () => {
    await api.json("POST", "/v1/rules", token, rule({ id: "inv" }));
    await api.json(
      "POST",
      "/v1/rules",
      token,
      rule({ id: "never", when: { field: "from.domain", op: "equals", value: "x.invalid" } }),
    );
    const r = await api.call("POST", "/v1/rules/test", {
      token,
      body: eml,
      headers: { "content-type": "message/rfc822" },
    });
    expect(r.status).toBe(200);
    expect(r.body.messages).toHaveLength(1);
    expect(r.body.messages[0].message).toMatchObject({
      uid: null,
      subject: "Invoice #4711",
      messageId: "<x1@vendor.com>",
    });
    const byId = Object.fromEntries(
      r.body.messages[0].results.map((x: { rule: { id: string } }) => [x.rule.id, x]),
    );
    expect(byId.inv).toMatchObject({
      matched: true,
      condition: { kind: "leaf", result: true, seen: ["Invoice #4711"] },
    });
    expect(byId.never).toMatchObject({
      matched: false,
      condition: { kind: "leaf", result: false, seen: ["vendor.com"] },
    });
  });

  it("tries unsaved rules from JSON, with extraction, and reports their problems with paths", async () => {
    const r = await api.json("POST", "/v1/rules/test", token, {
      eml,
      rules: [
        {
          name: "try",
          when: { field: "subject", op: "matches", value: "invoice", flags: "i" },
          extract: { no: { field: "subject", pattern: "#(\\d+)" } },
          actions: [{ type: "webhook", endpoint: "anything" }],
        },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.messages[0].results[0]).toMatchObject({ matched: true, extracted: { no: "4711" } });
    expect(await api.store.listRules(tenantId)).toEqual([]);
    const bad = await api.json("POST", "/v1/rules/test", token, {
      eml,
      rules: [{ name: "x", when: { field: "subject", op: "zz" }, actions: [] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(["body.rules[0].when.op"]),
    );
    const b64 = await api.json("POST", "/v1/rules/test", token, {
      emlBase64: Buffer.from(eml).toString("base64"),
      rules: [rule()],
    });
    expect(b64.body.messages[0].results[0].matched).toBe(true);
  });

  it("refuses other media types and empty messages", async () => {
    const t = await api.call("POST", "/v1/rules/test", {
      token,
      body: "x",
      headers: { "content-type": "text/plain" },
    });
    expect(t.status).toBe(415);
    expect(isErrorShape(t.body)).toBe(true);
    const e = await api.call("POST", "/v1/rules/test", {
      token,
      body: "",
      headers: { "content-type": "message/rfc822" },
    });
    expect(e.status).toBe(400);
  });
});
