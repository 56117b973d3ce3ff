import { randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";

const SAFE = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Gives each request an id (a caller's `X-Request-Id` is kept when it looks like an id, so traces
 * join across services), echoes it in the response and binds it to the request's logger.
 */
export const requestId = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const given = c.req.header("x-request-id");
  const id = given && SAFE.test(given) ? given : `req_${randomBytes(12).toString("base64url")}`;
  c.set("requestId", id);
  c.header("X-Request-Id", id);
  await next();
};
