import { createSupervisor, type WatchTiming } from "@mailhook/imap";
import type { Logger } from "@mailhook/log";
import type { OutboundPolicy } from "@mailhook/net";
import { createProducer, type QueueOptions } from "@mailhook/queue";
import { createLeases, createMembership, createPresence, duplicateClient, type Store } from "@mailhook/store";

export interface WatcherServiceOptions {
  /** A single Redis for BullMQ; or `connection` (the runtime's `bullConnection`, e.g. the Cluster client). */
  redisUrl?: string;
  connection?: QueueOptions["connection"];
  prefix: string;
  store: Store;
  log: Logger;
  ownerId: string;
  /** The outbound policy (runtime.outbound): every IDLE connection is checked and pinned by it. */
  outbound: OutboundPolicy;
  leaseTtlMs: number;
  reconcileMs: number;
  /** Most mailboxes this replica owns (0 = no limit). */
  capacity?: number;
  /** Ownership check interval (default: TTL/10, at most 1 s). */
  tickMs?: number;
  /** IMAP connections set up at once (default 128). */
  connectConcurrency?: number;
  /** On SIGTERM keep this replica's mailboxes for its return under the same id (0 = hand over at once). */
  restartGraceMs?: number;
  /**
   * A replica whose presence subscription has been gone this long (and whose heartbeat stopped) is
   * dead: its mailboxes move at once instead of after their lease TTL. 0 = TTL only.
   */
  presenceConfirmMs?: number;
  timing?: Partial<WatchTiming>;
}

/**
 * The watcher: takes mailboxes through leases, holds their IDLE connections, enqueues new UIDs.
 * Reacts to configuration changes published by the store within milliseconds; the periodic
 * reconcile is only the safety net (and how orphaned leases are picked up).
 */
export async function startWatcherService(opts: WatcherServiceOptions) {
  const producer = createProducer("mail.process", {
    connection: opts.connection ?? { url: opts.redisUrl, maxRetriesPerRequest: null },
    prefix: opts.prefix,
    onError: (err) => opts.log.warn({ queue: "mail.process", err: err.message }, "redis queue error"),
  });
  const presence = createPresence({ redis: opts.store.redis, prefix: opts.prefix });
  const confirmMs = opts.presenceConfirmMs ?? 1_000;
  const supervisor = createSupervisor({
    store: opts.store,
    leases: createLeases({
      redis: opts.store.redis,
      prefix: opts.prefix,
      ownerId: opts.ownerId,
      ttlMs: opts.leaseTtlMs,
    }),
    membership: createMembership({ redis: opts.store.redis, prefix: opts.prefix, ttlMs: opts.leaseTtlMs }),
    producer,
    log: opts.log,
    ownerId: opts.ownerId,
    outbound: opts.outbound,
    reconcileMs: opts.reconcileMs,
    ...(opts.capacity !== undefined ? { capacity: opts.capacity } : {}),
    ...(opts.tickMs !== undefined ? { tickMs: opts.tickMs } : {}),
    ...(opts.connectConcurrency !== undefined ? { connectConcurrency: opts.connectConcurrency } : {}),
    ...(opts.restartGraceMs !== undefined ? { restartGraceMs: opts.restartGraceMs } : {}),
    ...(opts.timing ? { timing: opts.timing } : {}),
    ...(confirmMs > 0 ? { presence: { presence, confirmMs } } : {}),
  });
  const sub = duplicateClient(opts.store.redis);
  sub.on("error", (err: Error) => opts.log.warn({ err: err.message }, "redis subscriber error"));
  // The presence channel first: the heartbeat that announces this replica says it holds one.
  await sub.subscribe(presence.channel(opts.ownerId), opts.store.keys.changes, opts.store.keys.released);
  sub.on("message", (channel: string, message: string) => {
    // Another replica released mailboxes (hand-over, shutdown): their new owner takes them now.
    if (channel === opts.store.keys.released) void supervisor.rebalance();
    else if (message.includes('"kind":"mailbox"')) void supervisor.reconcile();
  });
  await supervisor.start();
  opts.log.info({ owner: opts.ownerId, mailboxes: supervisor.owned().length }, "watcher started");

  return {
    supervisor,
    async stop(): Promise<void> {
      // Deaf to notices from here on, but present until the supervisor has left (or parked):
      // otherwise the others could judge this replica dead mid-shutdown and skip its restart grace.
      await sub.unsubscribe(opts.store.keys.changes, opts.store.keys.released).catch(() => {});
      await supervisor.stop();
      await sub.quit().catch(() => sub.disconnect());
      await producer.close();
      opts.log.info({}, "watcher stopped");
    },
  };
}
export type WatcherService = Awaited<ReturnType<typeof startWatcherService>>;
