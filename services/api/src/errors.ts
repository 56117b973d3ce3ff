import type { z } from "@hono/zod-openapi";
import { ErrorBody, type ErrorCode, type ErrorDetail } from "@mailhook/api-schema";

export { ErrorBody, ErrorCode, ErrorDetail } from "@mailhook/api-schema";

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
