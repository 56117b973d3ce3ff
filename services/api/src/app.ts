import { Hono } from "hono";
import type { Redis } from "ioredis";

export interface ApiDeps {
  redis: Redis;
  /** Number of live workers per queue (BullMQ tracks them by client name). */
  workerCounts: () => Promise<Record<string, number>>;
}

/**
 * The HTTP API. For now: liveness and readiness. `/readyz` answers 503 with the reason when Redis
 * does not answer or no worker is consuming the queues.
 */
export function createApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      const pong = await Promise.race([
        deps.redis.ping(),
        new Promise<string>((_, reject) =>
          setTimeout(() => reject(new Error("timeout after 2000 ms")), 2_000),
        ),
      ]);
      checks.redis = { ok: pong === "PONG" };
    } catch (err) {
      checks.redis = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    if (checks.redis.ok) {
      // No consumer on a queue means jobs pile up unprocessed: not ready.
      const counts = await deps.workerCounts().catch(() => ({}) as Record<string, number>);
      for (const q of ["mail.process", "webhook.deliver"]) {
        const n = counts[q] ?? 0;
        checks[`worker:${q}`] =
          n > 0 ? { ok: true, detail: `${n} worker(s)` } : { ok: false, detail: "no worker connected" };
      }
    }
    const ready = Object.values(checks).every((x) => x.ok);
    return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
  });
  app.notFound((c) =>
    c.json({ error: { code: "NOT_FOUND", message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  return app;
}
