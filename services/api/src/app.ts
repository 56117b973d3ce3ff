import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./context.js";
import type { ApiDeps } from "./deps.js";
import {
  ApiError,
  type ErrorBody,
  type ErrorStatus,
  TARGET_NAMES,
  validationFailed,
  zodDetails,
} from "./errors.js";
import { createMetrics } from "./metrics.js";
import { authenticate } from "./middleware/auth.js";
import { clientAddress } from "./middleware/client-address.js";
import { requestId } from "./middleware/request-id.js";
import { requestLog } from "./middleware/request-log.js";
import { registerComponents } from "./openapi.js";
import { registerRoutes } from "./routes/index.js";
import { registerOpsRoutes } from "./routes/ops/index.js";
import { createServices } from "./services.js";

export type { ApiDeps } from "./deps.js";
export type Api = OpenAPIHono<AppEnv>;

/**
 * The HTTP API: /v1 resources per tenant, /openapi.json and /docs, /healthz, /readyz, /metrics.
 * Every failure answers in one shape, `{ error: { code, message, details?, requestId } }`.
 *
 * @example
 * const app = createApp({ redis, store, prefix, secrets, log, adminToken, workerCounts, outbound });
 * serve({ fetch: app.fetch, port: 8787 });
 */
export function createApp(deps: ApiDeps): Api {
  const svc = createServices(deps);
  const metrics = createMetrics({ store: deps.store, jobCounts: deps.jobCounts });
  const app: Api = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw validationFailed(zodDetails(TARGET_NAMES[result.target] ?? result.target, result.error));
      }
    },
  });

  app.use("*", requestId());
  app.use("*", requestLog({ log: deps.log, observe: metrics.observeRequest }));
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use(
      "/v1/*",
      cors({ origin: deps.corsOrigins, exposeHeaders: ["ETag", "X-Request-Id", "Retry-After"] }),
    );
  }
  const tooLarge = (limit: number) => () => {
    throw new ApiError(413, "PAYLOAD_TOO_LARGE", `the body is larger than ${limit} bytes`);
  };
  const jsonLimit = bodyLimit({ maxSize: svc.limits.bodyBytes, onError: tooLarge(svc.limits.bodyBytes) });
  const emlLimit = bodyLimit({ maxSize: svc.limits.emlBytes, onError: tooLarge(svc.limits.emlBytes) });
  // Only a raw message may be large; a JSON dry run gets the JSON limit like every other body.
  const isRawMessage = (c: Context<AppEnv>) =>
    c.req.path === "/v1/rules/test" &&
    (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() === "message/rfc822";
  app.use("/v1/*", (c, next) => (isRawMessage(c) ? emlLimit(c, next) : jsonLimit(c, next)));
  app.use("/v1/*", clientAddress({ trustedProxies: deps.trustedProxies ?? [] }));
  app.use(
    "/v1/*",
    authenticate({
      adminToken: deps.adminToken,
      tokens: svc.tokens,
      limiter: svc.limiter,
      failures: svc.authFailures,
      tenantRate: svc.tenantRate,
      quotas: svc.quotas,
    }),
  );

  registerComponents(app);
  registerRoutes(app, svc);

  registerOpsRoutes(app, deps, metrics.registry);

  app.notFound((c) =>
    errorResponse(new ApiError(404, "NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`), c),
  );
  app.onError((err, c) => errorResponse(err, c));
  return app;
}

function errorResponse(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get("requestId") ?? "unknown";
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (err instanceof HTTPException) e = fromHttpException(err);
  else {
    (c.get("log") ?? null)?.error({ err: err.message, stack: err.stack }, "unhandled error");
    e = new ApiError(500, "INTERNAL", "internal error; the request id is in the log");
  }
  const body: ErrorBody = {
    error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}), requestId },
  };
  const headers: Record<string, string> = { "X-Request-Id": requestId, ...e.headers };
  return c.json(body, e.status, headers);
}

/** Hono's own exceptions (JSON parsing, content type) in the API's error shape. */
function fromHttpException(err: HTTPException): ApiError {
  const msg = err.message || "bad request";
  if (err.status === 400 && /malformed json/i.test(msg))
    return new ApiError(400, "MALFORMED_JSON", "the body is not valid JSON");
  if (err.status === 400 && /content-type/i.test(msg))
    return new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
  const status = ([400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 429] as number[]).includes(err.status)
    ? (err.status as ErrorStatus)
    : 400;
  const code =
    status === 413 ? "PAYLOAD_TOO_LARGE" : status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : "VALIDATION_FAILED";
  return new ApiError(status, code, msg);
}
