import { createClient, type MailhookClient } from "@mailhook/client";
import { createProducer, type Producer } from "@mailhook/queue";
import { ADMIN_TOKEN, ApiHarness } from "./api.js";
import { listenHttp } from "./http.js";
import type { Stack } from "./stack.js";

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

  static async start(stack: Stack): Promise<Installation> {
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
      deps: { deliveries, mailJobs },
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
