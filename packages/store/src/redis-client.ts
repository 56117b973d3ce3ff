import type { Cluster, Redis } from "ioredis";

/** A single Redis (standalone or behind Sentinel) or a Redis Cluster: the same command API. */
export type RedisClient = Redis | Cluster;

export function isCluster(redis: RedisClient): redis is Cluster {
  return "isCluster" in redis && redis.isCluster === true;
}

/**
 * GET of many single keys. MGET needs one slot on Redis Cluster; there the GETs go out together
 * (the cluster client pipelines them per node, see `enableAutoPipelining` in the runtime).
 */
export async function getMany(redis: RedisClient, keys: string[]): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  if (!isCluster(redis)) return redis.mget(...keys);
  return Promise.all(keys.map((key) => redis.get(key)));
}

/** A second connection to the same Redis (subscribers need their own), never giving up on a command. */
export function duplicateClient(redis: RedisClient): RedisClient {
  if (isCluster(redis)) {
    return redis.duplicate(undefined, {
      redisOptions: { ...redis.options.redisOptions, maxRetriesPerRequest: null },
    });
  }
  return redis.duplicate({ maxRetriesPerRequest: null });
}

/** DEL of many keys: one command on a single Redis, one per key (pipelined per node) on Cluster. */
export async function delMany(redis: RedisClient, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!isCluster(redis)) return redis.del(...keys);
  const n = await Promise.all(keys.map((key) => redis.del(key)));
  return n.reduce((a, b) => a + b, 0);
}

/** How many of the keys exist (EXISTS of many keys needs one slot on Cluster). */
export async function existsMany(redis: RedisClient, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!isCluster(redis)) return redis.exists(...keys);
  const n = await Promise.all(keys.map((key) => redis.exists(key)));
  return n.reduce((a, b) => a + b, 0);
}

/** Every key matching `match`: SCAN on a single Redis, SCAN of every master on Cluster. */
export async function scanKeys(redis: RedisClient, match: string, each: (keys: string[]) => Promise<void>) {
  // A Cluster client knows its masters only once connected (the runtime connects lazily).
  if (isCluster(redis) && redis.status !== "ready") await redis.ping();
  const nodes = isCluster(redis) ? redis.nodes("master") : [redis];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, found] = await node.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      if (found.length > 0) await each(found);
    } while (cursor !== "0");
  }
}
