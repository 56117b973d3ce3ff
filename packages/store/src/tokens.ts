import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { apiKeys } from "./api-keys.js";
import type { RedisClient } from "./redis-client.js";

export const ApiToken = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  readOnly: z.boolean(),
  /** The first characters of the token, so people can tell their tokens apart. Not a secret. */
  hint: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export interface TokensOptions {
  redis: RedisClient;
  prefix: string;
}

/** SHA-256 of a token: tokens are 256 random bits, so a fast hash is enough (no dictionary to guess). */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * API tokens: random, shown once, stored only as SHA-256 hashes. A token record is kept per tenant
 * (for listing and revocation); the hash index is what authentication reads and what revocation
 * deletes, so a revoked token stops working at once.
 */
export function createTokens(opts: TokensOptions) {
  const { redis } = opts;
  const k = apiKeys(opts.prefix);
  return {
    /** Issues a token; the returned `token` is the only time the secret exists outside the caller. */
    async issue(args: { tenantId: string; name: string; readOnly: boolean }): Promise<{
      token: string;
      record: ApiToken;
    }> {
      const id = `tok_${randomBytes(9).toString("base64url")}`;
      const token = `mh_${randomBytes(32).toString("base64url")}`;
      const hash = hashToken(token);
      const record: ApiToken = {
        id,
        tenantId: args.tenantId,
        name: args.name,
        readOnly: args.readOnly,
        hint: token.slice(0, 7),
        createdAt: new Date().toISOString(),
        revokedAt: null,
      };
      // Two keys in two Cluster slots: listed first, valid second, so a valid token is always listed.
      await redis.hset(k.tenantTokens(args.tenantId), id, JSON.stringify({ ...record, hash }));
      await redis.hset(k.tokenHashes, hash, JSON.stringify(record));
      return { token, record };
    },
    /** The live token record for a presented token, or null (unknown or revoked). */
    async verify(token: string): Promise<ApiToken | null> {
      const raw = await redis.hget(k.tokenHashes, hashToken(token));
      return raw ? ApiToken.parse(JSON.parse(raw)) : null;
    },
    async list(tenantId: string): Promise<ApiToken[]> {
      const all = await redis.hvals(k.tenantTokens(tenantId));
      return all
        .map((raw) => ApiToken.parse(JSON.parse(raw)))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },
    async get(tenantId: string, id: string): Promise<ApiToken | null> {
      const raw = await redis.hget(k.tenantTokens(tenantId), id);
      return raw ? ApiToken.parse(JSON.parse(raw)) : null;
    },
    /** Revokes a token of this tenant. Returns the revoked record, or null when there is none. */
    async revoke(tenantId: string, id: string): Promise<ApiToken | null> {
      const raw = await redis.hget(k.tenantTokens(tenantId), id);
      if (!raw) return null;
      const stored = JSON.parse(raw) as ApiToken & { hash: string };
      const record: ApiToken = ApiToken.parse({
        ...stored,
        revokedAt: stored.revokedAt ?? new Date().toISOString(),
      });
      // Invalid first, then marked revoked in the listing.
      await redis.hdel(k.tokenHashes, stored.hash);
      await redis.hset(k.tenantTokens(tenantId), id, JSON.stringify({ ...record, hash: stored.hash }));
      return record;
    },
  };
}
export type Tokens = ReturnType<typeof createTokens>;
