import { errorFromResponse, MailhookError } from "./error.js";

/** The fetch the client calls: the platform's own in Node ≥ 20 and browsers, or one a test hands in. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Where the API answers, e.g. `http://127.0.0.1:8787`; empty for the page's own origin (the console). */
  baseUrl: string;
  /** A tenant token (mh_…) or the admin token. */
  token: string;
  fetch?: FetchLike;
  /** Sent as User-Agent where the platform allows it (the browser does not). */
  userAgent?: string;
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Query;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is, with `contentType` (e.g. a raw message as message/rfc822). */
  raw?: { body: string | Uint8Array<ArrayBuffer>; contentType: string };
  headers?: Record<string, string>;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

export type Transport = <T>(spec: RequestSpec) => Promise<Answer<T>>;

function queryString(q: Query | undefined): string {
  if (!q) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) p.append(k, String(one));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** Builds the one function every call goes through: auth, JSON, and the API's error shape. */
export function createTransport(opts: ClientOptions): Transport {
  const doFetch: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = opts.baseUrl.replace(/\/+$/, "");
  return async <T>(spec: RequestSpec): Promise<Answer<T>> => {
    const headers: Record<string, string> = {
      accept: "application/json",
      authorization: `Bearer ${opts.token}`,
      ...(opts.userAgent ? { "user-agent": opts.userAgent } : {}),
      ...spec.headers,
    };
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (spec.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(spec.json);
    } else if (spec.raw) {
      headers["content-type"] = spec.raw.contentType;
      body = spec.raw.body;
    }
    const url = `${base}${spec.path}${queryString(spec.query)}`;
    let res: Response;
    try {
      res = await doFetch(url, { method: spec.method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new MailhookError(0, "UNREACHABLE", `cannot reach the API at ${base || "this origin"}: ${why}`);
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const requestId = res.headers.get("x-request-id");
    if (!res.ok) throw errorFromResponse(res.status, parsed, requestId);
    if (typeof parsed === "string")
      throw new MailhookError(res.status, "BAD_RESPONSE", "the server did not answer JSON", [], requestId);
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
}
