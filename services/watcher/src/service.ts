import { createSupervisor, type WatchTiming } from "@mailhook/imap";
import type { Logger } from "@mailhook/log";
import { createProducer } from "@mailhook/queue";
import { createLeases, type Store } from "@mailhook/store";
import { Redis } from "ioredis";

export interface WatcherServiceOptions {
  redisUrl: string;
  prefix: string;
  store: Store;
  log: Logger;
  ownerId: string;
  leaseTtlMs: number;
  reconcileMs: number;
  timing?: Partial<WatchTiming>;
}

/**
 * The watcher: takes mailboxes through leases, holds their IDLE connections, enqueues new UIDs.
 * Reacts to configuration changes published by the store within milliseconds; the periodic
 * reconcile is only the safety net (and how orphaned leases are picked up).
 */
export async function startWatcherService(opts: WatcherServiceOptions) {
  const producer = createProducer("mail.process", {
    connection: { url: opts.redisUrl, maxRetriesPerRequest: null },
    prefix: opts.prefix,
  });
  const supervisor = createSupervisor({
    store: opts.store,
    leases: createLeases({
      redis: opts.store.redis,
      prefix: opts.prefix,
      ownerId: opts.ownerId,
      ttlMs: opts.leaseTtlMs,
    }),
    producer,
    log: opts.log,
    ownerId: opts.ownerId,
    reconcileMs: opts.reconcileMs,
    ...(opts.timing ? { timing: opts.timing } : {}),
  });
  const sub = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  sub.on("error", (err) => opts.log.warn({ err: err.message }, "redis subscriber error"));
  await sub.subscribe(opts.store.keys.changes);
  sub.on("message", (_channel, message: string) => {
    if (message.includes('"kind":"mailbox"')) void supervisor.reconcile();
  });
  await supervisor.start();
  opts.log.info({ owner: opts.ownerId, mailboxes: supervisor.owned().length }, "watcher started");

  return {
    supervisor,
    async stop(): Promise<void> {
      await sub.quit().catch(() => sub.disconnect());
      await supervisor.stop();
      await producer.close();
      opts.log.info({}, "watcher stopped");
    },
  };
}
export type WatcherService = Awaited<ReturnType<typeof startWatcherService>>;
