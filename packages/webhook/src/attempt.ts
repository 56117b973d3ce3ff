import { z } from "zod";

/** One HTTP attempt of a delivery, as stored in the delivery record. */
export const DeliveryAttempt = z.object({
  /** When the attempt started (ISO-8601). */
  at: z.iso.datetime(),
  /** HTTP status, or null when no response arrived (refused, DNS, connect error, timeout). */
  status: z.number().int().nullable(),
  /** From the start of the attempt until the response body was read (or the attempt gave up). */
  latencyMs: z.number().nonnegative(),
  /** Why the attempt did not deliver, for people reading the delivery log; null on a plain response. */
  error: z.string().nullable(),
  /** The first bytes of the response body (capped), decoded as UTF-8. */
  responsePreview: z.string(),
  /** The receiver's Retry-After, in milliseconds from the response. */
  retryAfterMs: z.number().nonnegative().nullable(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

export type AttemptClass = "delivered" | "retry" | "gone" | "failed";

export interface ClassifyOptions {
  /**
   * Retry 4xx responses other than 410 instead of failing at once. Off by default; an endpoint can
   * turn it on when its receiver answers 401/403/404 during deploys or misconfiguration windows.
   */
  retryClientErrors?: boolean;
}

/** Responses that say "not now" rather than "never". */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/**
 * What to do after an attempt:
 * - 2xx → "delivered".
 * - 410 Gone → "gone": the receiver says the endpoint no longer exists; the endpoint gets disabled.
 * - no response (connect error, reset, timeout), 408, 425, 429 and every 5xx → "retry".
 * - 3xx → "failed": redirects are not followed (the target is unchecked by the SSRF guard), and
 *   repeating the request would get the same redirect.
 * - other 4xx → "failed" by default: 400/401/403/404/413/422 mean the request or the endpoint
 *   configuration is wrong and resending the same bytes will not fix it. The delivery is
 *   dead-lettered at once (visible, replayable with the same webhook-id) instead of retrying for a
 *   day. With `retryClientErrors` they are retried like 5xx.
 */
export function classifyAttempt(a: DeliveryAttempt, opts: ClassifyOptions = {}): AttemptClass {
  const s = a.status;
  if (s === null) return "retry";
  if (s >= 200 && s < 300) return "delivered";
  if (s === 410) return "gone";
  if (s >= 500 || RETRYABLE_4XX.has(s)) return "retry";
  if (s >= 400 && s < 500 && opts.retryClientErrors) return "retry";
  return "failed";
}
