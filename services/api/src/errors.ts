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

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 428 | 429 | 500 | 501 | 503;

/** A failure a handler throws; the app's error handler renders it in the one error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (what: string, id: string) =>
  new ApiError(404, "NOT_FOUND", `${what} ${JSON.stringify(id)} not found`);

export const validationFailed = (details: ErrorDetail[], message = "the request is not valid") =>
  new ApiError(400, "VALIDATION_FAILED", message, details);

/** Validation targets as error paths name them. */
export const TARGET_NAMES: Record<string, string> = {
  json: "body",
  query: "query",
  param: "path",
  header: "header",
};

/** Joins a zod issue path the way rule validation does: `body.folders[0]`. */
export function issuePath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (p, k) => (typeof k === "number" ? `${p}[${k}]` : `${p}${p ? "." : ""}${String(k)}`),
    root,
  );
}

export function zodDetails(root: string, error: z.ZodError): ErrorDetail[] {
  return error.issues.map((i) => ({ path: issuePath(root, i.path), reason: i.message }));
}

/** The error responses every authenticated route can give, for the OpenAPI document. */
export function errorResponses(...statuses: ErrorStatus[]) {
  const descriptions: Record<ErrorStatus, string> = {
    400: "The request is not valid (every problem listed in details)",
    401: "Missing or unknown bearer token",
    403: "The token may not do this (read-only, or not an admin token)",
    404: "No such resource for this tenant",
    409: "Conflict with the current state",
    412: "If-Match does not match the current ETag",
    413: "Body larger than the limit",
    415: "Unsupported content type",
    422: "Understood but refused",
    428: "If-Match is required",
    429: "Rate limit reached; see Retry-After",
    500: "Internal error",
    501: "Not available in this deployment",
    503: "Not ready",
  };
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: descriptions[s], content: { "application/json": { schema: ErrorBody } } },
    ]),
  ) as Record<
    ErrorStatus,
    { description: string; content: { "application/json": { schema: typeof ErrorBody } } }
  >;
}

/** Errors every authenticated route may give. */
export const AUTH_ERRORS = [400, 401, 403, 413, 429] as const;
