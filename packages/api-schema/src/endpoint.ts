import { z } from "@hono/zod-openapi";

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, "an HTTP header name");
// No CR/LF: a header value must never start a second header.
const HeaderValue = z
  .string()
  .max(4096)
  .regex(/^[^\r\n\0]*$/, "no line breaks");

export const EndpointHeaders = z
  .record(HeaderName, HeaderValue)
  .refine((h) => Object.keys(h).length <= 32, "at most 32 custom headers")
  .openapi({
    description:
      "Sent with every request (e.g. Authorization). Stored sealed and never shown again (names only). Signature and framing headers are reserved.",
  });

const Url = z.string().min(1).max(2000).openapi({ example: "https://hooks.example.com/mail" });

export const EndpointCreate = z
  .strictObject({
    url: Url,
    description: z.string().max(500).optional(),
    headers: EndpointHeaders.default({}),
    enabled: z.boolean().default(true),
  })
  .openapi("EndpointCreate");
export type EndpointCreate = z.infer<typeof EndpointCreate>;

export const EndpointUpdate = z
  .strictObject({
    url: Url.optional(),
    description: z.string().max(500).optional(),
    headers: EndpointHeaders.optional(),
    enabled: z.boolean().optional().openapi({ description: "true also clears a disabled-by-410 state" }),
  })
  .openapi("EndpointUpdate");
export type EndpointUpdate = z.infer<typeof EndpointUpdate>;

export const CircuitView = z
  .object({
    /** closed: deliveries go out; open: none until openUntil; half-open: the next attempt probes. */
    state: z.enum(["closed", "open", "half-open"]),
    /** Consecutive failed attempts counted towards opening it. */
    failures: z.number().int(),
    openUntil: z.string().nullable(),
    /** How often it opened in a row without a success in between (each doubles the wait). */
    opens: z.number().int(),
    /** Attempts in flight to this endpoint now, over all workers. */
    inFlight: z.number().int(),
  })
  .openapi("Circuit", { description: "The endpoint's circuit breaker as the workers share it (read-only)" });
export type CircuitView = z.infer<typeof CircuitView>;

export const EndpointView = z
  .object({
    id: z.string(),
    url: z.string(),
    headers: z
      .record(z.string(), z.string())
      .openapi({ description: "Names only: every value is shown as [redacted] (values are stored sealed)" }),
    enabled: z.boolean(),
    /** enabled / disabled (by a person) / gone (the receiver answered 410 and mailhook stopped sending). */
    state: z.enum(["enabled", "disabled", "gone"]),
    disabledReason: z.string().nullable(),
    /** Secrets currently signing (the newest plus those in a rotation's overlap window). */
    activeSecrets: z.number().int(),
    circuit: CircuitView,
    managed: z.enum(["file", "api"]),
    updatedAt: z.string(),
  })
  .openapi("Endpoint");
export type EndpointView = z.infer<typeof EndpointView>;

export const EndpointWithSecret = EndpointView.extend({
  secret: z
    .string()
    .openapi({ description: "Shown once: store it now. Standard Webhooks format (whsec_…)." }),
}).openapi("EndpointWithSecret");
export type EndpointWithSecret = z.infer<typeof EndpointWithSecret>;

export const RotateSecret = z
  .strictObject({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(24 * 3600)
      .openapi({ description: "How long the previous secret keeps signing beside the new one" }),
  })
  .openapi("RotateSecret");
export type RotateSecret = z.infer<typeof RotateSecret>;

export const EndpointTestResult = z
  .object({
    /** The test event's id (also its webhook-id). */
    id: z.string(),
    /** The receiver answered 2xx. */
    ok: z.boolean(),
    /** The HTTP status, null when no answer came (error says why). */
    status: z.number().int().nullable(),
    latencyMs: z.number(),
    error: z.string().nullable(),
    /** The first KiB of the response body. */
    responsePreview: z.string(),
  })
  .openapi("EndpointTestResult");
export type EndpointTestResult = z.infer<typeof EndpointTestResult>;

/** Request bodies as a client writes them (defaults may be left out). */
export type EndpointCreateInput = z.input<typeof EndpointCreate>;
export type EndpointUpdateInput = z.input<typeof EndpointUpdate>;
export type RotateSecretInput = z.input<typeof RotateSecret>;
