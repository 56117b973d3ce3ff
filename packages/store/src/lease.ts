import { randomBytes } from "node:crypto";
import { keys } from "./keys.js";
import { isCluster, type RedisClient } from "./redis-client.js";

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
// Takes a lease that is free, or held by a member listed as gone (ARGV[3..]): tokens are
// `<owner id>.<16 hex digits>`, so the holder is known from the value alone.
const TAKE_FROM_GONE = `
local v = redis.call('GET', KEYS[1])
if v then
  local owner = string.match(v, '^(.*)%.%x+$')
  local gone = false
  for i = 3, #ARGV do if ARGV[i] == owner then gone = true end end
  if not gone then return false end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface Lease {
  readonly tenantId: string;
  readonly mailboxId: string;
  readonly token: string;
  /** Extends the lease; false means it was lost (expired and taken, or released). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface LeaseRef {
  tenantId: string;
  mailboxId: string;
}

type Call = [command: string, ...args: string[]];

/**
 * Many single-key commands in one round trip: one pipeline on a single Redis; on Cluster, one
 * pipeline per node (the cluster client auto-pipelines commands issued in the same tick). No
 * script spans mailboxes, so this works whichever slot each key is in. Failed calls give null.
 */
export async function batch(redis: RedisClient, calls: Call[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  if (isCluster(redis)) {
    return Promise.all(calls.map(([cmd, ...args]) => redis.call(cmd, ...args).catch(() => null)));
  }
  const p = redis.pipeline();
  for (const [cmd, ...args] of calls) p.call(cmd, ...args);
  const out = (await p.exec()) ?? [];
  return out.map(([err, v]) => (err ? null : v));
}

/**
 * Mailbox ownership. One Redis key per mailbox holds the owner's random token (`SET NX PX`);
 * the owner renews all its leases in one batch well within the TTL; writes that must be fenced
 * (cursors, status) check the token in the same Lua call. A dead owner's lease simply expires and
 * another replica takes it.
 */
export function createLeases(opts: { redis: RedisClient; prefix: string; ownerId: string; ttlMs: number }) {
  const { redis } = opts;
  const k = keys(opts.prefix);
  const ttl = String(opts.ttlMs);
  const make = (ref: LeaseRef, token: string): Lease => {
    const key = k.lease(ref.tenantId, ref.mailboxId);
    return {
      tenantId: ref.tenantId,
      mailboxId: ref.mailboxId,
      token,
      async renew() {
        return (await redis.eval(RENEW, 1, key, token, ttl)) === 1;
      },
      async release() {
        await redis.eval(RELEASE, 1, key, token);
      },
    };
  };
  const newToken = () => `${opts.ownerId}.${randomBytes(8).toString("hex")}`;
  const evalCall = (script: string, l: Lease, ...args: string[]): Call => [
    "eval",
    script,
    "1",
    k.lease(l.tenantId, l.mailboxId),
    l.token,
    ...args,
  ];

  return {
    ttlMs: opts.ttlMs,
    async acquire(tenantId: string, mailboxId: string): Promise<Lease | null> {
      return (await this.acquireMany([{ tenantId, mailboxId }]))[0] ?? null;
    },
    /**
     * Tries to take every listed mailbox at once; null where another owner holds it. Leases held by
     * a member in `takeFrom` (members found dead, see membership `markGone`) are taken over too,
     * without waiting for them to expire.
     */
    async acquireMany(refs: LeaseRef[], takeFrom: readonly string[] = []): Promise<(Lease | null)[]> {
      const tokens = refs.map(newToken);
      const r = await batch(
        redis,
        refs.map((ref, i): Call => {
          const key = k.lease(ref.tenantId, ref.mailboxId);
          const token = tokens[i] as string;
          return takeFrom.length === 0
            ? ["set", key, token, "PX", ttl, "NX"]
            : ["eval", TAKE_FROM_GONE, "1", key, token, ttl, ...takeFrom];
        }),
      );
      return refs.map((ref, i) => (r[i] === "OK" || r[i] === 1 ? make(ref, tokens[i] as string) : null));
    },
    /** Extends every lease in one batch; false where it was lost (or Redis did not answer). */
    async renewMany(leases: Lease[]): Promise<boolean[]> {
      const r = await batch(
        redis,
        leases.map((l) => evalCall(RENEW, l, ttl)),
      );
      return r.map((v) => v === 1);
    },
    async releaseMany(leases: Lease[]): Promise<void> {
      await batch(
        redis,
        leases.map((l) => evalCall(RELEASE, l)),
      );
    },
    async owner(tenantId: string, mailboxId: string): Promise<string | null> {
      return redis.get(k.lease(tenantId, mailboxId));
    },
  };
}
export type Leases = ReturnType<typeof createLeases>;
