import type { ErrorBody, ErrorCode, ErrorDetail } from "@mailhook/api-schema";

/** Codes the client adds for failures that never reached the API's error handler. */
export type ClientErrorCode = ErrorCode | "UNREACHABLE" | "BAD_RESPONSE";

/**
 * A failed API call, carrying the API's own `{ error: { code, message, details, requestId } }`.
 * `status` is 0 when the API could not be reached at all.
 */
export class MailhookError extends Error {
  readonly status: number;
  readonly code: ClientErrorCode;
  readonly details: ErrorDetail[];
  readonly requestId: string | null;
  /** Worth retrying as is: rate limits, 5xx, or the API not reachable. */
  readonly retryable: boolean;

  constructor(
    status: number,
    code: ClientErrorCode,
    message: string,
    details: ErrorDetail[] = [],
    requestId: string | null = null,
  ) {
    super(message);
    this.name = "MailhookError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
    this.retryable = status === 0 || status === 429 || status >= 500;
  }

  /** The message with every detail, as a person reads it: `the request is not valid: body.port: …`. */
  describe(): string {
    const details = this.details.map((d) => `${d.path}: ${d.reason}`);
    return details.length ? `${this.message}\n${details.map((d) => `  - ${d}`).join("\n")}` : this.message;
  }
}

function isErrorBody(x: unknown): x is ErrorBody {
  if (!x || typeof x !== "object") return false;
  const e = (x as { error?: unknown }).error;
  return (
    !!e &&
    typeof e === "object" &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

/** The error a non-2xx response stands for; a body not in the API's shape still names the status. */
export function errorFromResponse(status: number, body: unknown, requestId: string | null): MailhookError {
  if (isErrorBody(body)) {
    const e = body.error;
    return new MailhookError(status, e.code, e.message, e.details ?? [], e.requestId ?? requestId);
  }
  const text = typeof body === "string" && body ? `: ${body.slice(0, 200)}` : "";
  return new MailhookError(status, "BAD_RESPONSE", `the server answered ${status}${text}`, [], requestId);
}
