import type { Rule } from "@mailhook/rules";
import { cursorStore } from "./cursors.js";
import { deliveryLedger } from "./deliveries.js";
import { keys } from "./keys.js";
import { createQuotas, type Quotas } from "./quotas.js";
import {
  type DeliveryAttempt,
  DeliveryRecord,
  type DeliveryStatus,
  type Endpoint,
  FolderStatus,
  type Mailbox,
  MailboxEvent,
  StoredEndpoint,
  StoredMailbox,
} from "./records.js";
import type { RedisClient } from "./redis-client.js";
import type { SecretBox, SecretContext } from "./secret-box.js";
import { tickBatcher } from "./tick-batch.js";

export interface StoreOptions {
  redis: RedisClient;
  prefix: string;
  secrets: SecretBox;
  /** How long finished delivery records are kept (seconds). */
  deliveryRetentionSec?: number;
  /** Default quotas (env); the `deliveries` quota bounds the records kept per tenant. */
  quotas?: Partial<Quotas>;
}

/** A change notice published on every configuration write, so watchers and workers react live. */
export interface ChangeNotice {
  kind: "mailbox" | "endpoint" | "rules";
  tenantId: string;
  id: string | null;
}

const FENCED_STATUS = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return 1`;

/**
 * The Redis store: configuration (mailboxes, endpoints, rules), per-folder cursors and status,
 * delivery records. It is the source of truth; the config file and the API only write into it.
 */
export function createStore(opts: StoreOptions) {
  const { redis, secrets } = opts;
  const k = keys(opts.prefix);
  const retention = opts.deliveryRetentionSec ?? 30 * 24 * 3600;

  const notify = async (notice: ChangeNotice) => {
    await redis.publish(k.changes, JSON.stringify(notice));
  };
  const recordEvent = async (event: MailboxEvent): Promise<void> => {
    await redis
      .multi()
      .lpush(k.events(event.tenantId), JSON.stringify(MailboxEvent.parse(event)))
      .ltrim(k.events(event.tenantId), 0, 999)
      .exec();
  };

  const pw = (tenantId: string, id: string): SecretContext => ({ kind: "mailbox.password", tenantId, id });
  const ep = (tenantId: string, id: string, kind: "endpoint.secret" | "endpoint.headers"): SecretContext => ({
    kind,
    tenantId,
    id,
  });
  const openMailbox = (s: StoredMailbox): Mailbox => ({
    ...s,
    password: secrets.open(s.password, pw(s.tenantId, s.id)),
  });
  const openEndpoint = (s: StoredEndpoint): Endpoint => {
    const { retiring, sealedHeaders, headers: legacyHeaders, ...rest } = s;
    const sc = ep(s.tenantId, s.id, "endpoint.secret");
    const headers = sealedHeaders
      ? (JSON.parse(secrets.open(sealedHeaders, ep(s.tenantId, s.id, "endpoint.headers"))) as Record<
          string,
          string
        >)
      : (legacyHeaders ?? {});
    const e: Endpoint = { ...rest, headers, secrets: s.secrets.map((x) => secrets.open(x, sc)) };
    if (retiring?.length) e.retiring = retiring.map((r) => ({ ...r, secret: secrets.open(r.secret, sc) }));
    return e;
  };
  const ledger = deliveryLedger(redis, k, retention);
  const quotas = createQuotas({
    redis,
    prefix: opts.prefix,
    ...(opts.quotas ? { defaults: opts.quotas } : {}),
  });
  // The delivery index of a tenant, written for the records created in one event-loop turn at once
  // (ZADD of all of them + ZCARD, one round trip, the tenant's slot), then the `deliveries` quota:
  // each flush counts what it added, so the quota is checked at every create as before.
  const indexDelivery = tickBatcher(async (tenantId: string, entries: [number, string][]) => {
    const index = k.deliveries(tenantId);
    const r = await redis
      .pipeline()
      .zadd(index, ...entries.flat())
      .zcard(index)
      .exec();
    const failed = r?.find(([err]) => err);
    if (!r || failed) throw failed?.[0] ?? new Error("delivery index write failed");
    const count = Number(r[1]?.[1] ?? 0);
    const limit = await quotas.limit(tenantId, "deliveries");
    if (count > limit) await ledger.trimOldest(tenantId, count - limit);
  });

  return {
    keys: k,
    redis,
    ...ledger,

    async putMailbox(m: Mailbox): Promise<void> {
      const stored: StoredMailbox = StoredMailbox.parse({
        ...m,
        password: secrets.seal(m.password, pw(m.tenantId, m.id)),
      });
      // The tenant registry is global and the mailbox table is one key: two writes, registry first
      // (on Redis Cluster they live in different slots; a registered tenant with nothing is harmless).
      await redis.sadd(k.tenants, m.tenantId);
      await redis.hset(k.mailboxes, k.ref(m.tenantId, m.id), JSON.stringify(stored));
      await notify({ kind: "mailbox", tenantId: m.tenantId, id: m.id });
    },
    async getMailbox(tenantId: string, id: string): Promise<Mailbox | null> {
      const raw = await redis.hget(k.mailboxes, k.ref(tenantId, id));
      return raw ? openMailbox(StoredMailbox.parse(JSON.parse(raw))) : null;
    },
    /** Every mailbox of every tenant (the watcher's view), secrets opened. */
    async listMailboxes(tenantId?: string): Promise<Mailbox[]> {
      const all = await redis.hvals(k.mailboxes);
      return all
        .map((raw) => StoredMailbox.parse(JSON.parse(raw)))
        .filter((m) => tenantId === undefined || m.tenantId === tenantId)
        .map(openMailbox);
    },
    async deleteMailbox(tenantId: string, id: string): Promise<boolean> {
      const n = await redis.hdel(k.mailboxes, k.ref(tenantId, id));
      await notify({ kind: "mailbox", tenantId, id });
      return n > 0;
    },

    async putEndpoint(e: Endpoint): Promise<void> {
      const now = Date.now();
      // Retired secrets past their overlap window are dropped for good at the next write.
      const retiring = (e.retiring ?? []).filter((r) => Date.parse(r.expiresAt) > now);
      const sc = ep(e.tenantId, e.id, "endpoint.secret");
      const { headers, ...rest } = e;
      const stored = StoredEndpoint.parse({
        ...rest,
        secrets: e.secrets.map((s) => secrets.seal(s, sc)),
        retiring:
          retiring.length > 0
            ? retiring.map((r) => ({ ...r, secret: secrets.seal(r.secret, sc) }))
            : undefined,
        // Names and values together: a header name alone (X-Acme-Api-Key) tells what to steal.
        sealedHeaders:
          Object.keys(headers).length > 0
            ? secrets.seal(JSON.stringify(headers), ep(e.tenantId, e.id, "endpoint.headers"))
            : undefined,
      });
      await redis.sadd(k.tenants, e.tenantId);
      await redis.hset(k.endpoints(e.tenantId), e.id, JSON.stringify(stored));
      await notify({ kind: "endpoint", tenantId: e.tenantId, id: e.id });
    },
    async getEndpoint(tenantId: string, id: string): Promise<Endpoint | null> {
      const raw = await redis.hget(k.endpoints(tenantId), id);
      return raw ? openEndpoint(StoredEndpoint.parse(JSON.parse(raw))) : null;
    },
    async listEndpoints(tenantId: string): Promise<Endpoint[]> {
      const all = await redis.hvals(k.endpoints(tenantId));
      return all.map((raw) => openEndpoint(StoredEndpoint.parse(JSON.parse(raw))));
    },
    async deleteEndpoint(tenantId: string, id: string): Promise<boolean> {
      const n = await redis.hdel(k.endpoints(tenantId), id);
      await notify({ kind: "endpoint", tenantId, id });
      return n > 0;
    },
    /**
     * Rotates an endpoint's signing secret: `secret` (generated by the caller, `whsec_…`) becomes the
     * only active one, and every other secret keeps signing for at most `overlapSec` so receivers
     * can switch without rejecting a single request. Returns the endpoint as stored, or null when
     * it does not exist.
     */
    async rotateEndpointSecret(
      tenantId: string,
      id: string,
      secret: string,
      overlapSec: number,
    ): Promise<Endpoint | null> {
      const e = await this.getEndpoint(tenantId, id);
      if (!e) return null;
      const until = Date.now() + overlapSec * 1000;
      const expiresAt = new Date(until).toISOString();
      const previous = e.secrets.filter((s) => s !== secret).map((s) => ({ secret: s, expiresAt }));
      // Secrets retired earlier stop no later than these: rotating with overlap 0 (a leaked
      // secret) leaves the new secret as the only one that signs.
      const earlier = (e.retiring ?? [])
        .filter((r) => r.secret !== secret)
        .map((r) => ({ ...r, expiresAt: new Date(Math.min(Date.parse(r.expiresAt), until)).toISOString() }));
      const next: Endpoint = {
        ...e,
        secrets: [secret],
        retiring: [...previous, ...earlier],
        updatedAt: new Date().toISOString(),
      };
      await this.putEndpoint(next);
      return (await this.getEndpoint(tenantId, id)) ?? next;
    },
    async disableEndpoint(tenantId: string, id: string, reason: string): Promise<void> {
      const e = await this.getEndpoint(tenantId, id);
      if (!e) return;
      await this.putEndpoint({
        ...e,
        enabled: false,
        disabledReason: reason,
        updatedAt: new Date().toISOString(),
      });
    },

    /** Replaces the listed rules (upsert by id) and bumps the tenant's rules version. */
    async putRules(tenantId: string, rules: Rule[]): Promise<void> {
      if (rules.length === 0) return;
      await redis.sadd(k.tenants, tenantId);
      // Rules and their version share the tenant's hash tag: one transaction, one slot.
      const m = redis.multi();
      for (const r of rules) m.hset(k.rules(tenantId), r.id, JSON.stringify(r));
      m.incr(k.rulesVersion(tenantId));
      await m.exec();
      await notify({ kind: "rules", tenantId, id: null });
    },
    async deleteRules(tenantId: string, ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await redis
        .multi()
        .hdel(k.rules(tenantId), ...ids)
        .incr(k.rulesVersion(tenantId))
        .exec();
      await notify({ kind: "rules", tenantId, id: null });
    },
    /** Rules are stored already validated; they are parsed as JSON only. */
    async listRules(tenantId: string): Promise<Rule[]> {
      const all = await redis.hvals(k.rules(tenantId));
      return all.map((raw) => JSON.parse(raw) as Rule);
    },
    async rulesVersion(tenantId: string): Promise<number> {
      return Number((await redis.get(k.rulesVersion(tenantId))) ?? 0);
    },
    async listTenants(): Promise<string[]> {
      return redis.smembers(k.tenants);
    },

    ...cursorStore(redis, k, recordEvent),

    /**
     * Writes a folder's status. With `leaseToken`, only while that lease holds the mailbox (same
     * script, same slot), so a replica that lost the mailbox cannot write `stopped` over the new
     * owner's `connected`. Returns false when fenced out.
     */
    async setFolderStatus(
      tenantId: string,
      mailboxId: string,
      folder: string,
      status: FolderStatus,
      leaseToken?: string,
    ): Promise<boolean> {
      const json = JSON.stringify(FolderStatus.parse(status));
      if (leaseToken === undefined) {
        await redis.hset(k.status(tenantId, mailboxId), folder, json);
        return true;
      }
      const r = await redis.eval(
        FENCED_STATUS,
        2,
        k.status(tenantId, mailboxId),
        k.lease(tenantId, mailboxId),
        leaseToken,
        folder,
        json,
      );
      return r === 1;
    },
    async getFolderStatuses(tenantId: string, mailboxId: string): Promise<Record<string, FolderStatus>> {
      const h = await redis.hgetall(k.status(tenantId, mailboxId));
      return Object.fromEntries(Object.entries(h).map(([f, v]) => [f, FolderStatus.parse(JSON.parse(v))]));
    },

    recordEvent,
    /** Publishes a change notice: workers drop what they cached of it (see createConfigCaches). */
    notifyChange: notify,
    async listEvents(tenantId: string, limit = 100): Promise<MailboxEvent[]> {
      const raw = await redis.lrange(k.events(tenantId), 0, limit - 1);
      return raw.map((r) => MailboxEvent.parse(JSON.parse(r)));
    },

    /** Creates the record unless one with this id exists. Returns the record now stored and whether it was new. */
    async createDelivery(rec: DeliveryRecord): Promise<{ created: boolean; record: DeliveryRecord }> {
      const key = k.delivery(rec.id);
      const stored = DeliveryRecord.parse(rec);
      const ok = await redis.set(key, JSON.stringify(stored), "NX");
      if (ok === "OK") {
        // The index entry is in before this returns; the entries of one turn go in one ZADD.
        await indexDelivery(rec.tenantId, [Date.parse(rec.createdAt), rec.id]);
        return { created: true, record: stored };
      }
      const existing = await this.getDelivery(rec.id);
      if (existing?.stage === "fetch" && rec.stage !== "fetch") {
        // A message that could not be fetched before now can: its real delivery takes the place of
        // the fetch-failure record (same id), leaving the failed list.
        // Record first, then the index (another slot on Cluster); the dead index is a superset.
        await redis.set(key, JSON.stringify(DeliveryRecord.parse(rec)));
        await redis.zrem(k.dead(rec.tenantId, rec.endpointId), rec.id);
        return { created: true, record: rec };
      }
      return { created: false, record: existing ?? rec };
    },
    async getDelivery(id: string): Promise<DeliveryRecord | null> {
      const raw = await redis.get(k.delivery(id));
      return raw ? DeliveryRecord.parse(JSON.parse(raw)) : null;
    },
    /** Appends one attempt and sets the status; finished records get the retention TTL. */
    async recordAttempt(
      id: string,
      attempt: DeliveryAttempt | null,
      status: DeliveryStatus,
      lastError: string | null,
      /** The record as the caller just read it: saves a round trip (only the deliverer writes a pending record). */
      current?: DeliveryRecord,
    ): Promise<DeliveryRecord | null> {
      const rec = current ?? (await this.getDelivery(id));
      if (!rec) return null;
      const next: DeliveryRecord = {
        ...rec,
        status,
        lastError,
        attempts: attempt ? [...rec.attempts, attempt] : rec.attempts,
        updatedAt: new Date().toISOString(),
      };
      // The record (its own slot) and the tenant's indexes (the tenant's slot) are two transactions.
      // The dead-letter index is a superset of the dead records: entries are added before the record
      // turns dead and removed after it left that state; readers check the record itself.
      const changed = status !== rec.status;
      const listed = status === "dead" || status === "failed";
      if (changed && listed) await ledger.writeStatusIndex(next, status);
      // One command: SET with EX sets the retention TTL, and a SET without it drops any TTL (a
      // pending record never expires).
      if (status !== "pending") await redis.set(k.delivery(id), JSON.stringify(next), "EX", retention);
      else await redis.set(k.delivery(id), JSON.stringify(next));
      if (changed && !listed)
        await ledger.writeStatusIndex(next, status, rec.status === "dead" || rec.status === "failed");
      return next;
    },
    async listDeliveryIds(tenantId: string, limit = 100): Promise<string[]> {
      return redis.zrevrange(k.deliveries(tenantId), 0, limit - 1);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
