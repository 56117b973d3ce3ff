import { createClient, type MailhookClient } from "@mailhook/client";
import { createProducer, type Producer } from "@mailhook/queue";
import { afterEach } from "vitest";
import { ADMIN_TOKEN, ApiHarness } from "./api.js";
import { listenHttp } from "./http.js";
import type { Stack } from "./stack.js";
import type { World } from "./world.js";

/**
 * One mailhook installation as a user meets it: watcher + worker (the Stack), and the API on the
 * same prefix served over real HTTP with replay (and backfill) wired, plus a tenant with a
 * read-write and a read-only token.
 */
export class Installation {
  private constructor(
    readonly stack: Stack,
    readonly api: ApiHarness,
    readonly url: string,
    readonly tenantId: string,
    readonly token: string,
    readonly readOnlyToken: string,
    readonly client: MailhookClient,
    private readonly closers: (() => Promise<void>)[],
  ) {}

  static async start(stack: Stack, opts: { consoleDir?: string } = {}): Promise<Installation> {
    const connection = { url: stack.redisUrl, maxRetriesPerRequest: null };
    const deliveries: Producer<"webhook.deliver"> = createProducer("webhook.deliver", {
      connection,
      prefix: stack.prefix,
    });
    const mailJobs: Producer<"mail.process"> = createProducer("mail.process", {
      connection,
      prefix: stack.prefix,
    });
    const api = new ApiHarness({
      redisUrl: stack.redisUrl,
      shared: { prefix: stack.prefix, store: stack.store, redis: stack.redis, secrets: stack.secrets },
      deps: { deliveries, mailJobs, ...(opts.consoleDir ? { consoleDir: opts.consoleDir } : {}) },
    });
    const http = await listenHttp(api.app.fetch);
    const { tenantId, token } = await api.tenant("acme");
    const ro = await api.json("POST", `/v1/tenants/${tenantId}/tokens`, ADMIN_TOKEN, {
      name: "viewer",
      readOnly: true,
    });
    const client = createClient({ baseUrl: http.url, token });
    return new Installation(stack, api, http.url, tenantId, token, ro.body.token as string, client, [
      http.close,
      () => api.stop(),
      () => deliveries.close(),
      () => mailJobs.close(),
    ]);
  }

  async stop(): Promise<void> {
    for (const close of this.closers) await close();
  }
}

/**
 * A function that starts a fresh Installation on the world (worker + watcher on a new prefix, short
 * retry schedule), stopped after the test. Call at the top level of the file.
 */
export function useInstallation(
  world: World,
  opts: { consoleDir?: string } = {},
): () => Promise<Installation> {
  let current: Installation | null = null;
  afterEach(async () => {
    await current?.stop();
    current = null;
  });
  return async () => {
    const stack = world.stack({ schedule: [100, 100, 100] });
    await stack.start();
    current = await Installation.start(stack, opts);
    return current;
  };
}
