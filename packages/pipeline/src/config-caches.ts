import { randomUUID } from "node:crypto";
import type { Logger } from "@mailhook/log";
import { duplicateClient, type RuleHealthStore, type Store } from "@mailhook/store";
import {
  createEndpointCache,
  createMailboxCache,
  type EndpointCache,
  type MailboxCache,
} from "./record-cache.js";
import { createRuleCache, type RuleCache } from "./rule-cache.js";

export interface ConfigCachesOptions {
  store: Store;
  health: RuleHealthStore;
  log: Logger;
  /** How long an entry is served while change notices are known to arrive (WORKER_CONFIG_CACHE_MS). */
  maxAgeMs: number;
  /** How long while they are not (the subscription is down or not heard from): 1 s. */
  fallbackMaxAgeMs?: number;
  /** How often the caches publish a ping to themselves on the notice connection (default 5 s). */
  pingEveryMs?: number;
}

export interface ConfigCaches {
  mailboxes: MailboxCache;
  endpoints: EndpointCache;
  rules: RuleCache;
  /** Whether the last own ping came back in time: entries are then trusted for `maxAgeMs`. */
  live(): boolean;
  /** Resolves once every notice published before the call has reached the caches. */
  synced(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The worker's mailbox, endpoint and rule caches, kept until a change notice says otherwise. Every
 * write through mailhook (API, config file, CLI, another worker) publishes a notice, so an edit
 * applies to the next message. A message of a quiet mailbox then needs no configuration read at
 * all (one to four round trips and an unseal or two, about 1 ms of its path; see
 * docs/benchmarks.md).
 *
 * Notices are fire-and-forget: one sent while the subscription is down is lost. So the caches ping
 * themselves through the subscription; until a ping comes back (at start, after the connection
 * closed, or when pings stop arriving, as a Cluster node failing over may cause) entries are served
 * for `fallbackMaxAgeMs` only, and when one comes back after a gap every entry is dropped (it may
 * predate a notice that was missed). `maxAgeMs` is then only a bound for writes that bypass
 * mailhook.
 */
export async function createConfigCaches(opts: ConfigCachesOptions): Promise<ConfigCaches> {
  const fallback = opts.fallbackMaxAgeMs ?? 1_000;
  const pingEveryMs = opts.pingEveryMs ?? 5_000;
  // A ping that is not back after two more pings were due means notices may not be arriving.
  const lostAfterMs = pingEveryMs * 2.5;
  let heardAt = Number.NEGATIVE_INFINITY;
  const live = () => Date.now() - heardAt < lostAfterMs;
  const maxAge = () => (live() ? opts.maxAgeMs : fallback);
  const mailboxes = createMailboxCache(opts.store, maxAge);
  const endpoints = createEndpointCache(opts.store, maxAge);
  const rules = createRuleCache(opts.store, opts.health, maxAge);
  const pingChannel = `${opts.store.keys.changes}:ping:${randomUUID()}`;

  const sub = duplicateClient(opts.store.redis);
  sub.on("error", (err: Error) => opts.log.warn({ err: err.message }, "redis subscriber error"));
  // A dropped subscription may have missed notices, however soon it is back: nothing is trusted
  // for long again until a ping made it through the new one (which drops every entry).
  sub.on("close", () => {
    heardAt = Number.NEGATIVE_INFINITY;
  });
  const waiting = new Map<string, () => void>();
  sub.on("message", (channel: string, message: string) => {
    if (channel === pingChannel) {
      waiting.get(message)?.();
      waiting.delete(message);
      if (!live()) {
        // Back after a gap (or the first ping): whatever was read meanwhile may be stale.
        mailboxes.clear();
        endpoints.clear();
        rules.clear();
      }
      heardAt = Date.now();
      return;
    }
    try {
      const notice = JSON.parse(message) as { kind?: string; tenantId?: string; id?: string | null };
      if (notice.kind === "endpoint" && notice.tenantId && notice.id)
        endpoints.forget(notice.tenantId, notice.id);
      if (notice.kind === "mailbox" && notice.tenantId && notice.id)
        mailboxes.forget(notice.tenantId, notice.id);
      if (notice.kind === "rules" && notice.tenantId) rules.forget(notice.tenantId);
    } catch {
      // Not a notice of ours; nothing to forget.
    }
  });
  await sub.subscribe(opts.store.keys.changes, pingChannel);
  const ping = () => {
    opts.store.redis.publish(pingChannel, "1").catch(() => {});
  };
  ping();
  sub.on("ready", ping);
  const timer = setInterval(ping, pingEveryMs);
  timer.unref();

  return {
    mailboxes,
    endpoints,
    rules,
    live,
    synced() {
      // Published after the caller's writes on the same connection, so it arrives after their notices.
      const token = randomUUID();
      const heard = new Promise<void>((resolve) => waiting.set(token, resolve));
      return opts.store.redis.publish(pingChannel, token).then(() => heard);
    },
    async close() {
      clearInterval(timer);
      await sub.quit().catch(() => sub.disconnect());
    },
  };
}
