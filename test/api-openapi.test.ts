import SwaggerParser from "@apidevtools/swagger-parser";
import { MAX_BACKFILL_MESSAGES } from "@mailhook/pipeline";
import { describe, expect, it } from "vitest";
import { useApi } from "./support/api.js";
import { routeCases } from "./support/api-routes.js";

const api = useApi();

/** Hono's `/v1/rules/:id` as OpenAPI's `/v1/rules/{id}`. */
const openapiPath = (p: string) => p.replace(/:([A-Za-z]+)/g, "{$1}");

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const r = await api.call("GET", "/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(r.body))).resolves.toBeTruthy();
  });

  it("states the backfill limit the pipeline enforces", async () => {
    const doc = (await api.call("GET", "/openapi.json")).body;
    expect(doc.paths["/v1/mailboxes/{id}/backfill"].post.description).toContain(
      `At most ${MAX_BACKFILL_MESSAGES} messages per backfill.`,
    );
  });

  it("describes the recursive condition tree instead of an empty schema", async () => {
    const doc = (await api.call("GET", "/openapi.json")).body;
    expect(doc.components.schemas.RuleInput.properties.when).toEqual({
      $ref: "#/components/schemas/Condition",
    });
    const cond = doc.components.schemas.Condition;
    expect(cond.oneOf).toHaveLength(4);
    expect(cond.oneOf[0].properties.all.items).toEqual({ $ref: "#/components/schemas/Condition" });
    expect(cond.oneOf[3]).toEqual({ $ref: "#/components/schemas/ConditionLeaf" });
    expect(doc.components.schemas.ConditionLeaf.properties.op.enum).toContain("matches");
  });

  it("lists every route the app serves, with its method, and nothing it does not serve", async () => {
    const doc = (await api.call("GET", "/openapi.json")).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const served = new Set(
      api.app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${openapiPath(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    // The route catalogue the isolation and fuzz tests walk covers every /v1 route too.
    const catalogue = routeCases({
      tenantId: "t",
      tokenId: "k",
      mailbox: "m",
      endpoint: "e",
      rule: "r",
      delivery: "d",
    }).map((c) => `${c.method.toLowerCase()} ${openapiPath(c.path)}`);
    expect(catalogue.sort()).toEqual([...served].filter((s) => s.includes(" /v1/")).sort());
    for (const op of ["get /healthz", "get /readyz", "get /metrics", "get /openapi.json", "get /docs"])
      expect(served).toContain(op);
  });

  it("every /v1 operation declares bearer auth and the error shape for its failures", async () => {
    const doc = (await api.call("GET", "/openapi.json")).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            security?: unknown;
            responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
          }
        >
      >;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith("/v1/")) continue;
      for (const [method, op] of Object.entries(ops)) {
        expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
        for (const code of ["401", "429"]) {
          expect(
            op.responses[code]?.content?.["application/json"]?.schema?.$ref,
            `${method} ${path} ${code}`,
          ).toBe("#/components/schemas/Error");
        }
      }
    }
  });

  it("/docs renders every operation as static HTML without scripts", async () => {
    const r = await api.call("GET", "/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/text\/html/);
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    // Nothing that would load from the network or run: no scripts, no external resources.
    expect(r.text).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|@import|url\(/i);
    const doc = (await api.call("GET", "/openapi.json")).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, ops] of Object.entries(doc.paths))
      for (const m of Object.keys(ops)) expect(r.text).toContain(`${m.toUpperCase()} ${path}`);
  });
});
