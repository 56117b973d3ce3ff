import { keys } from "./keys.js";
import { isCluster, type RedisClient } from "./redis-client.js";

/**
 * Presence of watcher replicas: each running replica holds a subscription to its own channel on
 * its subscriber connection. A process that dies (SIGKILL, OOM, a crashed machine's closed socket)
 * loses the subscription the moment Redis sees its socket close, while a replica that is merely
 * slow (a starved event loop) keeps it. So the others can tell "dead" within a second instead of
 * waiting for its leases to expire, without mistaking "busy" for "dead".
 */
export function createPresence(opts: { redis: RedisClient; prefix: string }) {
  const base = keys(opts.prefix).presence;
  const channel = (memberId: string) => `${base}:${memberId}`;
  return {
    channel,
    /**
     * Subscribers of each member's channel. On Cluster a subscription lives on one node and
     * `PUBSUB NUMSUB` counts only that node's, so every node is asked and the counts are summed.
     */
    async subscribers(memberIds: string[]): Promise<Map<string, number>> {
      const out = new Map(memberIds.map((id) => [id, 0]));
      if (memberIds.length === 0) return out;
      const channels = memberIds.map(channel);
      const nodes = isCluster(opts.redis) ? opts.redis.nodes("all") : [opts.redis];
      const answers = await Promise.all(nodes.map((n) => n.pubsub("NUMSUB", ...channels)));
      for (const answer of answers) {
        const pairs = answer as (string | number)[];
        for (let i = 0; i + 1 < pairs.length; i += 2) {
          const id = String(pairs[i]).slice(base.length + 1);
          out.set(id, (out.get(id) ?? 0) + Number(pairs[i + 1]));
        }
      }
      return out;
    },
  };
}
export type Presence = ReturnType<typeof createPresence>;
