import type { Context } from "hono";
import type { AppEnv } from "./context.js";
import { ApiError } from "./errors.js";
import type { Services } from "./services.js";

export interface Created {
  status: 200 | 201 | 202;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * Runs a creating POST at most once per Idempotency-Key (per tenant and route): a retry with the
 * same key and body gets the first response again (marked `Idempotent-Replayed: true`), a different
 * body under the same key is refused, and a failed first attempt releases the key.
 */
export async function idempotent(
  c: Context<AppEnv>,
  svc: Services,
  tenantId: string,
  scope: string,
  body: unknown,
  run: () => Promise<Created>,
): Promise<Response> {
  const key = c.req.header("idempotency-key");
  const send = (r: Created, replayed: boolean) => {
    for (const [name, value] of Object.entries(r.headers ?? {})) c.header(name, value);
    if (replayed) c.header("Idempotent-Replayed", "true");
    return c.json(r.body as object, r.status);
  };
  if (key === undefined) return send(await run(), false);
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
    const r = claim.response;
    return send(
      { status: r.status as Created["status"], body: JSON.parse(r.body), headers: r.headers },
      true,
    );
  }
  try {
    const r = await run();
    await svc.idempotency.complete(tenantId, scope, key, fingerprint, {
      status: r.status,
      body: JSON.stringify(r.body),
      headers: r.headers ?? {},
    });
    return send(r, false);
  } catch (err) {
    await svc.idempotency.release(tenantId, scope, key);
    throw err;
  }
}
