import { startRedis, type TestRedis } from "@mailhook/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness, isErrorShape } from "./support/api.js";
import { fillPath, type ResourceIds, type RouteCase, routeCases } from "./support/api-routes.js";
import { testOutbound } from "./support/outbound.js";

let redis: TestRedis;
let api: ApiHarness;
let token: string;
let ids: ResourceIds;

// No DNS, no HTTP, no IMAP: fuzzed input must be judged by validation, not by network luck.
// (No name resolves, so no token endpoint is ever contacted.)
const noDns = async () => {
  throw Object.assign(new Error("no DNS in tests"), { code: "ENOTFOUND" });
};

beforeAll(async () => {
  redis = await startRedis();
  api = new ApiHarness({
    redisUrl: redis.url,
    deps: {
      outbound: testOutbound({ resolve: noDns }),
      probeMailbox: async () => ({
        ok: false,
        folders: [],
        error: "no IMAP in tests",
        authFailed: false,
        ms: 0,
      }),
    },
  });
  const t = await api.tenant("fuzz");
  token = t.token;
  const ep = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/x" });
  const mbx = await api.json("POST", "/v1/mailboxes", token, {
    address: "a@b.test",
    host: "127.0.0.1",
    tls: "none",
    auth: { type: "password", user: "u", password: "p" },
  });
  const rule = await api.json("POST", "/v1/rules", token, {
    name: "r",
    actions: [{ type: "webhook", endpoint: ep.body.id }],
  });
  const tok = await api.call("GET", `/v1/tenants/${t.tenantId}/tokens`, { token: ADMIN_TOKEN });
  ids = {
    tenantId: t.tenantId,
    tokenId: tok.body.data[0].id,
    mailbox: mbx.body.id,
    endpoint: ep.body.id,
    rule: rule.body.id,
    delivery: "msg_none",
  };
});
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

/** JSON-ish values with the shapes validators trip on: deep nesting, big numbers, odd strings. */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.constantFrom(
      "",
      "__proto__",
      "constructor",
      "\u0000",
      "a".repeat(5000),
      "INBOX",
      "\\Junk",
      "http://127.0.0.1/",
    ),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string(),
        fc.constantFrom("__proto__", "when", "all", "any", "not", "field", "op", "auth", "type"),
      ),
      tie("value"),
      { maxKeys: 5 },
    ),
  ),
})).value;

/** A valid body with one field replaced, removed or added: reaches deeper validation than noise. */
function mutated(base: unknown) {
  if (!base || typeof base !== "object") return jsonValue;
  const keys = Object.keys(base);
  return fc.oneof(
    fc
      .record({ key: fc.constantFrom(...keys), value: jsonValue })
      .map(({ key, value }) => ({ ...base, [key]: value })),
    fc.constantFrom(...keys).map((key) => {
      const copy: Record<string, unknown> = { ...(base as Record<string, unknown>) };
      delete copy[key];
      return copy;
    }),
    fc.record({ key: fc.string(), value: jsonValue }).map(({ key, value }) => ({ ...base, [key]: value })),
  );
}

const idParam = fc.oneof(
  fc.string(),
  // Over every id's 128-character bound: path validation must fail in the error shape.
  fc.string({ minLength: 129, maxLength: 400 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.constantFrom("..", "%2e%2e", "a/b", "*", "null", "' OR 1=1", "x".repeat(300), "ten_x/mbx_y"),
);

const contentTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "message/rfc822",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "",
);

const queryString = fc
  .dictionary(
    fc.constantFrom(
      "limit",
      "cursor",
      "status",
      "from",
      "to",
      "endpointId",
      "verify",
      "ruleId",
      "mailboxId",
      "folder",
    ),
    fc.oneof(
      fc.string(),
      fc.integer().map(String),
      fc.constantFrom("-1", "0", "1e9", "true", "NaN", "eyJ4IjoxfQ"),
    ),
    { maxKeys: 3 },
  )
  .map((q) => new URLSearchParams(q).toString());

/** Headers routes read: any printable value (fetch refuses control characters itself). */
const extraHeaders = fc.dictionary(
  fc.constantFrom("if-match", "idempotency-key", "x-request-id"),
  fc.oneof(
    fc.string({ maxLength: 300 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
    fc.constantFrom("*", '"abc"', 'W/"x"', ""),
  ),
  { maxKeys: 2 },
);

async function check(
  c: RouteCase,
  path: string,
  body: string | undefined,
  type: string,
  query: string,
  extra: Record<string, string>,
) {
  const headers: Record<string, string> = { ...c.headers, ...extra };
  if (type) headers["content-type"] = type;
  const r = await api.call(c.method, query ? `${path}?${query}` : path, {
    token: c.kind === "admin" ? ADMIN_TOKEN : token,
    ...(body !== undefined && c.method !== "GET" ? { body } : {}),
    headers,
  });
  if (r.status >= 500) throw new Error(`${c.method} ${path} → ${r.status} ${r.text}`);
  if (r.status >= 400 && !isErrorShape(r.body))
    throw new Error(`${c.method} ${path} → ${r.status} not in the error shape: ${r.text}`);
}

describe("property: no input makes any route answer 5xx, and every 4xx is in the error shape", () => {
  it("fuzzes bodies, params, queries and content types of every route", async () => {
    const cases = routeCases({
      tenantId: "x",
      tokenId: "x",
      mailbox: "x",
      endpoint: "x",
      rule: "x",
      delivery: "x",
    });
    let runs = 0;
    for (const template of cases) {
      const c =
        routeCases(ids).find((x) => x.method === template.method && x.path === template.path) ?? template;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.constant(fillPath(c, ids)),
            idParam.map((id) => fillPath(c, { ...ids, [c.id ?? "mailbox"]: id, tenantId: id })),
          ),
          fc.oneof(
            { weight: 3, arbitrary: mutated(c.body).map((b) => JSON.stringify(b)) },
            { weight: 2, arbitrary: jsonValue.map((b) => JSON.stringify(b)) },
            { weight: 1, arbitrary: fc.string() },
            { weight: 1, arbitrary: fc.constant(undefined) },
          ),
          fc.oneof(
            { weight: 4, arbitrary: fc.constant(c.contentType ?? "application/json") },
            { weight: 1, arbitrary: contentTypes },
          ),
          fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 1, arbitrary: queryString }),
          fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraHeaders }),
          async (path, body, type, query, extra) => {
            runs++;
            // Encode each path segment the way a client would.
            const encoded = path
              .split("/")
              .map((s, i) => (i === 0 ? s : encodeURIComponent(decodeURIComponentSafe(s))))
              .join("/");
            await check(c, encoded, body, type, query, extra);
          },
        ),
        { numRuns: 60 },
      );
    }
    expect(runs).toBeGreaterThanOrEqual(40 * cases.length);
  }, 120_000);
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
