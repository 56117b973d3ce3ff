import type { RedisClient } from "@mailhook/store";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Env } from "./env.js";

export interface RedisConnection {
  /** The client for the store, leases and membership. */
  redis: RedisClient;
  /**
   * The client every BullMQ queue and worker of the process shares (each worker duplicates it for
   * its blocking calls): on Cluster the store's client, else one of its own (BullMQ needs
   * maxRetriesPerRequest null, the store a bounded retry). One shared client instead of one per
   * queue and worker: a worker process opened 13 connections and defined BullMQ's ~50 Lua commands
   * on 8 of them at start (docs/deploy.md, "Code cache").
   */
  bull: Redis | Cluster;
  mode: "single" | "cluster" | "sentinel";
}

/**
 * One place that knows the three ways to reach Redis: a single server (`REDIS_URL`), a Redis
 * Cluster (`REDIS_CLUSTER_NODES`), or a primary behind Sentinel (`REDIS_SENTINELS`).
 */
export function connectRedis(env: Env): RedisConnection {
  const auth: Pick<RedisOptions, "username" | "password" | "tls"> = {
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    ...(env.REDIS_TLS ? { tls: {} } : {}),
  };
  if (env.REDIS_CLUSTER_NODES.length > 0) {
    // BullMQ's workers need maxRetriesPerRequest null; the store shares the client, so it waits
    // out a failover instead of failing a command after three tries.
    const cluster = new Cluster(env.REDIS_CLUSTER_NODES, {
      lazyConnect: true,
      enableAutoPipelining: true,
      redisOptions: { ...auth, maxRetriesPerRequest: null },
    });
    return { redis: cluster, bull: cluster, mode: "cluster" };
  }
  if (env.REDIS_SENTINELS.length > 0) {
    const options = {
      ...auth,
      sentinels: env.REDIS_SENTINELS,
      name: env.REDIS_SENTINEL_NAME,
      ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
    };
    return {
      redis: new Redis({
        ...options,
        maxRetriesPerRequest: 3,
        lazyConnect: true,
        enableAutoPipelining: true,
      }),
      bull: new Redis({ ...options, maxRetriesPerRequest: null }),
      mode: "sentinel",
    };
  }
  // Auto-pipelining (as on Cluster): the commands issued in one event-loop turn leave in one socket
  // write. A burst's deliveries each issue their own commands; one write per command was about a
  // tenth of the worker's CPU time (socket writes in the profile). Order per connection is kept.
  return {
    redis: new Redis(env.REDIS_URL, {
      maxRetriesPerRequest: 3,
      lazyConnect: true,
      enableAutoPipelining: true,
    }),
    bull: new Redis(env.REDIS_URL, { maxRetriesPerRequest: null }),
    mode: "single",
  };
}
