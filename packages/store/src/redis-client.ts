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
