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
  /**
   * The replica holds a subscription to its presence channel (`presenceChannel`) while it runs, so
   * the others can tell a dead process (its socket closed, the subscription gone) from a slow one.
   */
  presence: z.boolean().optional(),
  /** Left for a restart (`park`): keeps its place until `at` + TTL, without a presence. */
  parked: z.boolean().optional(),
});
export type Member = z.infer<typeof Member>;

// Redis' clock, not the replicas': machines with skewed clocks still agree on who is alive.
// Expired members are pruned by whoever reads.
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = now + tonumber(ARGV[3] or '0')
local m = { capacity = tonumber(ARGV[2]), at = at }
if ARGV[4] == '1' then m.presence = true end
if ARGV[5] == '1' then m.parked = true end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return now`;
// A member found dead is replaced by a tombstone for one TTL: the others may then take its leases
// before they expire. Only if its heartbeat is still the one the caller judged (a member that
// heartbeated since is alive, whatever its presence said).
const MARK_GONE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local ok, m = pcall(cjson.decode, raw)
if not ok or type(m) ~= 'table' or m.gone or tonumber(m.at) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({ gone = true, at = now }))
return 1`;
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
 * Cluster); a replica whose heartbeat is older than `ttlMs` is gone, and so is one marked gone
 * (`markGone`: found dead by its presence) until its tombstone expires after `ttlMs`. Together with
 * the mailbox list this is all a replica needs to compute who owns what (rendezvous hashing, no
 * coordinator).
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
    /** `presence`: this replica subscribes to its presence channel while it runs. */
    async heartbeat(id: string, capacity: number, presence = false): Promise<void> {
      await redis.eval(HEARTBEAT, 1, k.members, id, String(capacity), "0", presence ? "1" : "0");
    },
    /**
     * The live members, sorted by id; `gone`: members marked gone whose tombstone has not expired
     * (their leases may be taken at once); and Redis' current time.
     */
    async live(): Promise<{ now: number; members: Member[]; gone: string[] }> {
      const r = (await redis.eval(LIVE, 1, k.members, String(opts.ttlMs))) as string[];
      const members: Member[] = [];
      const gone: string[] = [];
      for (let i = 1; i + 1 < r.length; i += 2) {
        const fields = JSON.parse(r[i + 1] as string) as Record<string, unknown>;
        if (fields.gone === true) {
          gone.push(String(r[i]));
          continue;
        }
        const parsed = Member.safeParse({ id: r[i], ...fields });
        if (parsed.success) members.push(parsed.data);
      }
      members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { now: Number(r[0]), members, gone };
    },
    /**
     * Marks a member gone, if its heartbeat is still the one dated `at` (so not one that has
     * heartbeated since). True if this call marked it.
     */
    async markGone(id: string, at: number): Promise<boolean> {
      return (await redis.eval(MARK_GONE, 1, k.members, id, String(at))) === 1;
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
      await redis.eval(HEARTBEAT, 1, k.members, id, String(capacity), String(graceMs - opts.ttlMs), "0", "1");
    },
    /** Tells every replica that mailboxes were released, so their new owners take them at once. */
    async announceRelease(id: string, count: number): Promise<void> {
      await redis.publish(k.released, JSON.stringify({ member: id, count }));
    },
  };
}
export type Membership = ReturnType<typeof createMembership>;
