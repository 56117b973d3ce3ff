import { z } from "zod";
import { keys } from "./keys.js";
import type { RedisClient } from "./redis-client.js";

/** One live watcher replica as the others see it. */
export const Member = z.object({
  id: z.string().min(1),
  /** Most mailboxes this replica will own (0 = no limit). */
  capacity: z.number().int().nonnegative(),
  /** Redis time (ms) of the last heartbeat. */
  at: z.number(),
});
export type Member = z.infer<typeof Member>;

// Redis' clock, not the replicas': machines with skewed clocks still agree on who is alive.
// Expired members are pruned by whoever reads.
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = now + tonumber(ARGV[3] or '0')
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({ capacity = tonumber(ARGV[2]), at = at }))
return now`;
const LIVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local out = { tostring(now) }
for i = 1, #all, 2 do
  local ok, m = pcall(cjson.decode, all[i + 1])
  if ok and type(m) == 'table' and tonumber(m.at) and now - tonumber(m.at) <= tonumber(ARGV[1]) then
    table.insert(out, all[i]); table.insert(out, all[i + 1])
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return out`;

/**
 * Watcher membership: each replica writes a heartbeat into one hash (one key, so one slot on
 * Cluster); a replica whose heartbeat is older than `ttlMs` is gone. Together with the mailbox
 * list this is all a replica needs to compute who owns what (rendezvous hashing, no coordinator).
 */
export function createMembership(opts: {
  redis: RedisClient;
  prefix: string;
  ttlMs: number;
  /** Which replicas: the watchers (default) or the workers (`keys.workers`, for routing). */
  of?: "watchers" | "workers";
}) {
  const { redis } = opts;
  const all = keys(opts.prefix);
  const k = { ...all, members: opts.of === "workers" ? all.workers : all.members };
  return {
    ttlMs: opts.ttlMs,
    async heartbeat(id: string, capacity: number): Promise<void> {
      await redis.eval(HEARTBEAT, 1, k.members, id, String(capacity));
    },
    /** The live members, sorted by id, and Redis' current time. */
    async live(): Promise<{ now: number; members: Member[] }> {
      const r = (await redis.eval(LIVE, 1, k.members, String(opts.ttlMs))) as string[];
      const members: Member[] = [];
      for (let i = 1; i + 1 < r.length; i += 2) {
        const parsed = Member.safeParse({ id: r[i], ...(JSON.parse(r[i + 1] as string) as object) });
        if (parsed.success) members.push(parsed.data);
      }
      members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { now: Number(r[0]), members };
    },
    async leave(id: string): Promise<void> {
      await redis.hdel(k.members, id);
    },
    /**
     * Leaves for a restart: the member stays live for `graceMs` more (its heartbeat is dated so that
     * it expires then), so the others keep off its mailboxes and the same id, started again, takes
     * them back without a detour through another replica. Not back in time: they go to the others.
     */
    async park(id: string, capacity: number, graceMs: number): Promise<void> {
      await redis.eval(HEARTBEAT, 1, k.members, id, String(capacity), String(graceMs - opts.ttlMs));
    },
    /** Tells every replica that mailboxes were released, so their new owners take them at once. */
    async announceRelease(id: string, count: number): Promise<void> {
      await redis.publish(k.released, JSON.stringify({ member: id, count }));
    },
  };
}
export type Membership = ReturnType<typeof createMembership>;
