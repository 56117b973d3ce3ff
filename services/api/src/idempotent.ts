import type { Context } from "hono";
import type { AppEnv } from "./context.js";
import { ApiError } from "./errors.js";
import type { Services } from "./services.js";

export interface Created<T> {
  body: T;
  headers?: Record<string, string>;
}

export interface IdempotentOptions<T> {
  /**
   * A field that must never be stored, not even sealed (an API token: stored only as a hash). A
   * retry then cannot be answered with it: it is refused with 409 naming the created resource.
   */
  shownOnce?: { field: keyof T; what: (body: T) => string };
}

/**
 * Runs a creating POST at most once per Idempotency-Key (per tenant and route): a retry with the
 * same key and body gets the first result again (and `Idempotent-Replayed: true`), a different body
 * under the same key is refused, and a failed first attempt releases the key. Sets the result's
 * headers on the context; the route sends the body with its own typed `c.json`.
 */
export async function idempotent<T>(
  c: Context<AppEnv>,
  svc: Services,
  tenantId: string,
  scope: string,
  body: unknown,
  run: () => Promise<Created<T>>,
  opts: IdempotentOptions<T> = {},
): Promise<T> {
  const key = c.req.header("idempotency-key");
  const use = (r: Created<T>, replayed: boolean): T => {
    for (const [name, value] of Object.entries(r.headers ?? {})) c.header(name, value);
    if (replayed) c.header("Idempotent-Replayed", "true");
    return r.body;
  };
  if (key === undefined) return use(await run(), false);
  const fingerprint = JSON.stringify(body) ?? "";
  const claim = await svc.idempotency.claim(tenantId, scope, key, fingerprint);
  if (claim.kind === "mismatch")
    throw new ApiError(422, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different body");
  if (claim.kind === "in-progress")
    throw new ApiError(
      409,
      "IDEMPOTENCY_IN_PROGRESS",
      "a request with this Idempotency-Key is still running",
    );
  if (claim.kind === "replay") {
    // Written by this function from a T below (the store keeps it sealed: it can carry a webhook secret).
    const stored = JSON.parse(claim.response.body) as T;
    if (opts.shownOnce)
      throw new ApiError(
        409,
        "CONFLICT",
        `this Idempotency-Key already created ${opts.shownOnce.what(stored)}; its secret was shown once and is not kept`,
      );
    return use({ body: stored, headers: claim.response.headers }, true);
  }
  try {
    const r = await run();
    let kept: unknown = r.body;
    if (opts.shownOnce) {
      const { [opts.shownOnce.field]: _secret, ...rest } = r.body as Record<PropertyKey, unknown>;
      kept = rest;
    }
    await svc.idempotency.complete(tenantId, scope, key, fingerprint, {
      status: 201,
      body: JSON.stringify(kept),
      headers: r.headers ?? {},
    });
    return use(r, false);
  } catch (err) {
    await svc.idempotency.release(tenantId, scope, key);
    throw err;
  }
}
