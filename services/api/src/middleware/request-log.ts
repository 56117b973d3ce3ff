import type { Logger } from "@mailhook/log";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../context.js";

export interface RequestLogOptions {
  log: Logger;
  /** Called once per request with the matched route pattern (not the raw path: ids stay out of labels). */
  observe?: (method: string, route: string, status: number, seconds: number) => void;
}

/**
 * One log line per request: method, route pattern, path, status, duration, tenant. Never bodies,
 * headers or query strings: they carry passwords, tokens and secrets.
 */
export const requestLog =
  (opts: RequestLogOptions): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const started = performance.now();
    const log = opts.log.child({ requestId: c.get("requestId") });
    c.set("log", log);
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = safeRoute(c);
    const principal = c.get("principal");
    const status = c.res.status;
    opts.observe?.(c.req.method, route, status, seconds);
    // 503 is /readyz saying "not yet": a probe polled every few seconds, not an error to page on.
    log[status >= 500 && status !== 503 ? "error" : status === 503 ? "warn" : "info"](
      {
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        ms: Math.round(seconds * 1000),
        tenantId: principal?.kind === "tenant" ? principal.token.tenantId : undefined,
        tokenId: principal?.kind === "tenant" ? principal.token.id : principal ? "admin" : undefined,
      },
      "request",
    );
  };

function safeRoute(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  try {
    const r = routePath(c, -1);
    return r === "/*" || r === "*" ? "unmatched" : r;
  } catch {
    return "unmatched";
  }
}
