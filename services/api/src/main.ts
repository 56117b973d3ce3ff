import { serve } from "@hono/node-server";
import { createLogger } from "@mailhook/log";
import { createProducer } from "@mailhook/queue";
import { createRuntime, onShutdown, parseEnv } from "@mailhook/runtime";
import { createApp } from "./app.js";

const env = parseEnv(process.env);
const log = createLogger({ name: "api", level: env.LOG_LEVEL });
const runtime = await createRuntime(env, log);
const queues = (["mail.process", "webhook.deliver"] as const).map((name) =>
  createProducer(name, { connection: runtime.bullConnection, prefix: env.MAILHOOK_PREFIX }),
);
const app = createApp({
  redis: runtime.redis,
  workerCounts: async () =>
    Object.fromEntries(
      await Promise.all(queues.map(async (p) => [p.queue.name, await p.queue.getWorkersCount()] as const)),
    ),
});
const server = serve({ fetch: app.fetch, hostname: env.API_HOST, port: env.API_PORT }, (info) =>
  log.info({ url: `http://${env.API_HOST}:${info.port}` }, "api listening"),
);
onShutdown(log, async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all(queues.map((q) => q.close()));
  await runtime.close();
});
