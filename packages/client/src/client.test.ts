import { describe, expect, it } from "vitest";
import { allPages, createClient } from "./client.js";
import { errorFromResponse, MailhookError } from "./error.js";
import type { FetchLike } from "./transport.js";

/** Records what the client sends and answers with a fixed response (the wire format is the unit). */
function recorder(answer: () => Response) {
  const sent: { url: string; init: RequestInit }[] = [];
  const fetch: FetchLike = async (url, init) => {
    sent.push({ url, init });
    return answer();
  };
  return { sent, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("createClient", () => {
  it("sends the bearer token, JSON bodies and query parameters, without a doubled slash", async () => {
    const r = recorder(() => json(200, { data: [], nextCursor: null }));
    const mh = createClient({ baseUrl: "http://api.test/", token: "mh_x", fetch: r.fetch });
    await mh.deliveries.list({ status: "dead", endpointId: "e 1", limit: 5 });
    await mh.rules.reorder(["a", "b"]);
    expect(r.sent[0]?.url).toBe("http://api.test/v1/deliveries?status=dead&endpointId=e+1&limit=5");
    expect(r.sent[0]?.init.headers).toMatchObject({ authorization: "Bearer mh_x" });
    expect(r.sent[1]?.init).toMatchObject({ method: "POST", body: '{"ids":["a","b"]}' });
    expect(r.sent[1]?.init.headers).toMatchObject({ "content-type": "application/json" });
  });

  it("quotes the ETag into If-Match and encodes ids in paths", async () => {
    const r = recorder(() => json(200, {}));
    const mh = createClient({ baseUrl: "", token: "t", fetch: r.fetch });
    await mh.rules.disable("a/b", "abc");
    expect(r.sent[0]?.url).toBe("/v1/rules/a%2Fb/disable");
    expect(r.sent[0]?.init.headers).toMatchObject({ "if-match": '"abc"' });
  });

  it("throws the API's error with code, details and request id", async () => {
    const body = {
      error: {
        code: "VALIDATION_FAILED",
        message: "bad",
        details: [{ path: "body.x", reason: "no" }],
        requestId: "r1",
      },
    };
    const mh = createClient({ baseUrl: "", token: "t", fetch: recorder(() => json(400, body)).fetch });
    const err = await mh.mailboxes.get("m").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailhookError);
    expect(err).toMatchObject({ status: 400, code: "VALIDATION_FAILED", requestId: "r1", retryable: false });
    expect((err as MailhookError).describe()).toBe("bad\n  - body.x: no");
  });

  it("names the status when a proxy answers something else, and calls 5xx and 429 retryable", () => {
    const e = errorFromResponse(502, "<html>Bad Gateway</html>", "req-9");
    expect(e).toMatchObject({ code: "BAD_RESPONSE", retryable: true, requestId: "req-9" });
    expect(e.message).toContain("502");
    expect(errorFromResponse(429, null, null).retryable).toBe(true);
  });

  it("reports an unreachable API with its address", async () => {
    const fetch: FetchLike = async () => {
      throw new TypeError("fetch failed");
    };
    const err = await createClient({ baseUrl: "http://127.0.0.1:1", token: "t", fetch })
      .rules.list()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: "UNREACHABLE", retryable: true });
    expect((err as Error).message).toContain("http://127.0.0.1:1");
  });
});

describe("allPages", () => {
  it("follows nextCursor to the end", async () => {
    const pages: Record<string, { data: number[]; nextCursor: string | null }> = {
      "": { data: [1, 2], nextCursor: "c2" },
      c2: { data: [3], nextCursor: null },
    };
    const seen: (string | undefined)[] = [];
    const out: number[] = [];
    for await (const n of allPages(async (p) => {
      seen.push(p.cursor);
      return pages[p.cursor ?? ""] ?? { data: [], nextCursor: null };
    }))
      out.push(n);
    expect(out).toEqual([1, 2, 3]);
    expect(seen).toEqual([undefined, "c2"]);
  });
});
