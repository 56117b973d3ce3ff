import { createServer, type Server } from "node:http";
import type { Logger } from "@mailhook/log";
import type { RedisClient } from "@mailhook/store";

export interface HealthServer {
  close(): Promise<void>;
}

/**
 * The probe endpoints of a service without an HTTP API of its own (watcher, worker), for container
 * health checks and Kubernetes probes: `/healthz` answers 200 while the process runs its event
 * loop, `/readyz` 200 only while Redis answers PING (503 otherwise). Port 0: no server.
 */
export async function startHealthServer(opts: {
  port: number;
  host: string;
  redis: RedisClient;
  log: Logger;
}): Promise<HealthServer | null> {
  if (opts.port === 0) return null;
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method !== "GET") return reply(405, { error: "method not allowed" });
    if (req.url === "/healthz") return reply(200, { status: "ok" });
    if (req.url === "/readyz") {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("timeout")), 2_000),
      );
      void Promise.race([opts.redis.ping(), timeout]).then(
        () => reply(200, { status: "ready" }),
        () => reply(503, { status: "not ready", redis: "does not answer" }),
      );
      return;
    }
    reply(404, { error: "not found" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  opts.log.info({ url: `http://${opts.host}:${opts.port}` }, "health endpoints listening");
  return {
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
