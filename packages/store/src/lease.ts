import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { keys } from "./keys.js";

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface Lease {
  readonly token: string;
  /** Extends the lease; false means it was lost (expired and taken, or released). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Mailbox ownership. One Redis key per mailbox holds the owner's random token (`SET NX PX`);
 * the owner renews it well within the TTL; writes that must be fenced (cursors) check the token in
 * the same Lua call. A dead owner's lease simply expires and another replica takes it.
 */
export function createLeases(opts: { redis: Redis; prefix: string; ownerId: string; ttlMs: number }) {
  const k = keys(opts.prefix);
  return {
    ttlMs: opts.ttlMs,
    async acquire(tenantId: string, mailboxId: string): Promise<Lease | null> {
      const key = k.lease(tenantId, mailboxId);
      const token = `${opts.ownerId}.${randomBytes(8).toString("hex")}`;
      const ok = await opts.redis.set(key, token, "PX", opts.ttlMs, "NX");
      if (ok !== "OK") return null;
      return {
        token,
        async renew() {
          return (await opts.redis.eval(RENEW, 1, key, token, String(opts.ttlMs))) === 1;
        },
        async release() {
          await opts.redis.eval(RELEASE, 1, key, token);
        },
      };
    },
    async owner(tenantId: string, mailboxId: string): Promise<string | null> {
      return opts.redis.get(k.lease(tenantId, mailboxId));
    },
  };
}
export type Leases = ReturnType<typeof createLeases>;
