import { z } from "@hono/zod-openapi";

/** Every error code the API answers with. Clients switch on these, never on messages. */
export const ErrorCode = z.enum([
  "VALIDATION_FAILED",
  "MALFORMED_JSON",
  "UNSUPPORTED_MEDIA_TYPE",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "MANAGED_BY_FILE",
  "IN_USE",
  "PRECONDITION_FAILED",
  "PRECONDITION_REQUIRED",
  "IDEMPOTENCY_KEY_REUSED",
  "IDEMPOTENCY_IN_PROGRESS",
  "DESTINATION_REFUSED",
  "MAILBOX_VERIFY_FAILED",
  "MESSAGE_UNPARSEABLE",
  "PAYLOAD_TOO_LARGE",
  "RATE_LIMITED",
  "AUTH_RATE_LIMITED",
  "QUOTA_EXCEEDED",
  "NOT_IMPLEMENTED",
  "INTERNAL",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorDetail = z.object({ path: z.string(), reason: z.string() });
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** The one error shape: every failure of every route, including 404s of unknown paths and 5xx. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      details: z.array(ErrorDetail).optional(),
      requestId: z.string(),
    }),
  })
  .openapi("Error");
export type ErrorBody = z.infer<typeof ErrorBody>;
