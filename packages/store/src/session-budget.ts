import { keys } from "./keys.js";
import { REDIS_NOW, script } from "./lua-script.js";
import type { RedisClient } from "./redis-client.js";

/**
 * Per mailbox, one sorted set (hash tag of the mailbox) of session leases `<workerId>#<n>` scored
 * by their expiry in Redis time. Expired leases (a killed worker's) are pruned by whoever asks.
 * Returns 1 when the lease is held now, else the members holding the budget.
 */
const ACQUIRE = `${REDIS_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return redis.call('ZRANGE', KEYS[1], 0, -1)
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease + 1000)
return 1`;

/**
 * Extends this worker's leases of one mailbox. A lease that expired meanwhile (Redis or this
 * worker stalled longer than the TTL) is taken again if the budget still has room; otherwise it is
 * returned as lost, and its session must close.
 */
const RENEW = `${REDIS_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) or redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
redis.call('PEXPIRE', KEYS[1], lease + 1000)
return lost`;

export interface SessionBudgetOptions {
  redis: RedisClient;
  prefix: string;
  /** This worker's id (WORKER_ID); unique among live workers. It names leases, nothing secret. */
  workerId: string;
  /** A lease not renewed for this long is free again (a killed worker's sessions). Default 30 s. */
  leaseMs?: number;
  /** Renewal problems (Redis away); renewal keeps trying on its timer. */
  onError?: (err: unknown) => void;
}

/** A mailbox whose budget is full: who holds it (worker ids, other workers only). */
export type BudgetAnswer = { ok: true } | { ok: false; holders: string[] };

export interface MailboxRef {
  tenantId: string;
  mailboxId: string;
}

interface Held {
  ref: MailboxRef;
  limit: number;
  sessions: Set<number>;
}

/**
 * The cluster-wide budget of worker IMAP sessions per mailbox. A worker's pool asks `acquire`
 * before it opens a connection and `release`s it when the connection closes; every lease this
 * worker holds is renewed on one timer (one script per mailbox, sent together, one round at a
 * time). Redis commands are per connection opened or closed and per renewal round, never per job.
 */
export function createSessionBudget(opts: SessionBudgetOptions) {
  const k = keys(opts.prefix);
  const leaseMs = opts.leaseMs ?? 30_000;
  const acquireScript = script(opts.redis, ACQUIRE);
  const renewScript = script(opts.redis, RENEW);
  const held = new Map<string, Held>();
  const lostHandlers: ((ref: MailboxRef, session: number) => void)[] = [];
  const member = (n: number) => `${opts.workerId}#${n}`;
  const keyOf = (ref: MailboxRef) => k.imapSessions(ref.tenantId, ref.mailboxId);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  function forget(ref: MailboxRef, session: number): void {
    const key = keyOf(ref);
    const h = held.get(key);
    h?.sessions.delete(session);
    if (h && h.sessions.size === 0) held.delete(key);
  }

  async function renewAll(): Promise<void> {
    const rounds = [...held.entries()].map(async ([key, h]) => {
      const sessions = [...h.sessions];
      const lost = (await renewScript(
        [key],
        [String(leaseMs), String(h.limit), ...sessions.map(member)],
      )) as string[];
      for (const m of lost) {
        const n = Number(m.slice(m.lastIndexOf("#") + 1));
        forget(h.ref, n);
        for (const fn of lostHandlers) fn(h.ref, n);
      }
      // Released while this round was under way: the round may have written it back.
      const gone = sessions.filter((n) => !h.sessions.has(n) && !lost.includes(member(n)));
      if (gone.length > 0) await opts.redis.zrem(key, ...gone.map(member));
    });
    const results = await Promise.allSettled(rounds);
    for (const r of results) if (r.status === "rejected") opts.onError?.(r.reason);
  }

  // A chain of timeouts, not an interval: a slow round never overlaps the next one.
  function schedule(): void {
    if (closed || timer) return;
    timer = setTimeout(
      () =>
        void renewAll().finally(() => {
          timer = null;
          if (held.size > 0) schedule();
        }),
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    timer.unref();
  }

  return {
    workerId: opts.workerId,
    leaseMs,
    /** Takes lease `session` of this worker for the mailbox if fewer than `limit` are live. */
    async acquire(ref: MailboxRef, session: number, limit: number): Promise<BudgetAnswer> {
      if (closed) return { ok: false, holders: [] };
      const r = await acquireScript([keyOf(ref)], [member(session), String(limit), String(leaseMs)]);
      if (Array.isArray(r)) {
        const others = new Set<string>();
        for (const m of r as string[]) {
          const id = m.slice(0, m.lastIndexOf("#"));
          if (id !== opts.workerId) others.add(id);
        }
        return { ok: false, holders: [...others] };
      }
      const key = keyOf(ref);
      const h = held.get(key) ?? { ref, limit, sessions: new Set<number>() };
      h.limit = limit;
      h.sessions.add(session);
      held.set(key, h);
      schedule();
      return { ok: true };
    },
    /** Gives a lease back (its connection closed). */
    async release(ref: MailboxRef, session: number): Promise<void> {
      forget(ref, session);
      await opts.redis.zrem(keyOf(ref), member(session));
    },
    /** Called for a lease that could not be renewed: its connection must close. */
    onLost(fn: (ref: MailboxRef, session: number) => void): void {
      lostHandlers.push(fn);
    },
    /** Live leases of a mailbox (all workers), for operators and tests. */
    async sessions(ref: MailboxRef): Promise<{ member: string; expiresAt: number }[]> {
      const r = await opts.redis.zrange(keyOf(ref), 0, -1, "WITHSCORES");
      const out: { member: string; expiresAt: number }[] = [];
      for (let i = 0; i + 1 < r.length; i += 2) out.push({ member: r[i]!, expiresAt: Number(r[i + 1]) });
      return out;
    },
    /** Leases this worker holds now, per mailbox key (tests, metrics). */
    heldCount: () => [...held.values()].reduce((n, h) => n + h.sessions.size, 0),
    /** Stops renewing and gives every lease back (SIGTERM path; the pool closes first). */
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const all = [...held.values()].flatMap((h) => [...h.sessions].map((n) => [h.ref, n] as const));
      held.clear();
      await Promise.allSettled(all.map(([ref, n]) => opts.redis.zrem(keyOf(ref), member(n))));
    },
  };
}
export type SessionBudget = ReturnType<typeof createSessionBudget>;
