import { createRoute, z } from "@hono/zod-openapi";
import type { Api } from "../../app.js";
import type { ApiDeps } from "../../deps.js";

const Readiness = z
  .object({
    status: z.enum(["ready", "not ready"]),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
  })
  .openapi("Readiness");

export const readyzRoute = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["operations"],
  summary: "Readiness: Redis answers and a worker consumes each queue",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: Readiness } } },
    503: {
      description: "Not ready; the failing checks say why",
      content: { "application/json": { schema: Readiness } },
    },
  },
});

export function registerReadyz(app: Api, deps: ApiDeps): void {
  app.openapi(readyzRoute, async (c) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    let timer: NodeJS.Timeout | undefined;
    let redisOk = false;
    try {
      const pong = await Promise.race([
        deps.redis.ping(),
        new Promise<string>((_, reject) => {
          timer = setTimeout(() => reject(new Error("timeout after 2000 ms")), 2_000);
        }),
      ]);
      redisOk = pong === "PONG";
      checks.redis = { ok: redisOk };
    } catch (err) {
      checks.redis = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
    if (redisOk) {
      // No consumer on a queue means jobs pile up unprocessed: not ready.
      const counts = await deps.workerCounts().catch(() => ({}) as Record<string, number>);
      for (const q of ["mail.process", "webhook.deliver"]) {
        const n = counts[q] ?? 0;
        checks[`worker:${q}`] =
          n > 0 ? { ok: true, detail: `${n} worker(s)` } : { ok: false, detail: "no worker connected" };
      }
    }
    const ready = Object.values(checks).every((x) => x.ok);
    const body = { status: ready ? ("ready" as const) : ("not ready" as const), checks };
    return ready ? c.json(body, 200) : c.json(body, 503);
  });
}
