import { randomUUID } from "node:crypto";
import { keys } from "./keys.js";
import { REDIS_NOW, script } from "./lua-script.js";
import type { RedisClient } from "./redis-client.js";

/** Limits shared by every worker replica (the state lives in Redis). */
export interface GatePolicy {
  /** Attempts in flight to one endpoint at once, across all workers. */
  concurrency: number;
  /** A slot is freed after this long even if its holder never released it (a crashed worker). */
  slotLeaseMs: number;
  /** Consecutive failed attempts (no response, 5xx, 429, …) that open the circuit. */
  failureThreshold: number;
  /**
   * An endpoint whose slots are all taken and none was released for this long (nor taken more
   * recently) hangs: its deliveries are postponed for about a request timeout instead of waiting.
   */
  hangMs: number;
  /** How long the circuit stays open the first time; doubled on each failed probe. */
  openMs: number;
  maxOpenMs: number;
}

export const DEFAULT_GATE_POLICY: GatePolicy = {
  concurrency: 16,
  slotLeaseMs: 60_000,
  hangMs: 1_000,
  failureThreshold: 5,
  openMs: 30_000,
  maxOpenMs: 10 * 60_000,
};

export type GateEntry =
  /** A slot is held; `probe` when this attempt tests a circuit that was open. */
  | { ok: true; token: string; probe: boolean }
  /**
   * `open`: the circuit is open until `until`; `probing`: another attempt is testing it; `busy`: no
   * free slot. `congested`: no slot of this endpoint was released (or taken) for `hangMs`, so its
   * attempts hang and slots are not expected back before they time out.
   */
  | { ok: false; why: "open" | "probing" | "busy"; until: number; congested?: boolean };

/**
 * What an attempt says about the endpoint's health: `up` when it answered at all (2xx, but also 3xx
 * and 4xx: the receiver is there), `down` when it did not (no response, timeout, 5xx, 429), and
 * `unknown` when nothing was sent.
 */
export type GateVerdict = "up" | "down" | "unknown";

export type GateRelease = { circuit: "closed" | "unchanged" } | { circuit: "opened"; until: number };

// Redis' clock, not the callers': replicas with skewed clocks then agree on when a circuit reopens.
const NOW = REDIS_NOW;

// The key TTLs are refreshed about twice per TTL, not on every call (two commands per delivery
// saved): the slots set lives `2 × lease`, set when the set is created and refreshed by an acquire
// once `lease / 2` passed since the last refresh (kept in the circuit hash), so it outlives every
// slot taken in it; the circuit
// hash lives ARGV[6] ms, refreshed by a release once half of that passed.
const ACQUIRE = `${NOW}
local st = redis.call('HMGET', KEYS[1], 'openUntil', 'probeUntil', 'slotsRefreshed')
local openUntil = tonumber(st[1] or '0')
local probe = 0
if openUntil > 0 then
  if now < openUntil then return {'open', openUntil} end
  local probeUntil = tonumber(st[2] or '0')
  if probeUntil > now then return {'probing', probeUntil} end
  probe = 1
end
-- Expired slots (a crashed holder's) only matter when the endpoint looks full.
local limit = tonumber(ARGV[2])
local held = redis.call('ZCARD', KEYS[2])
if held >= limit then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  held = redis.call('ZCARD', KEYS[2])
end
if held >= limit then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local released = tonumber(redis.call('HGET', KEYS[1], 'released') or '0')
  return {'busy', tonumber(first[2]), now, released}
end
local lease = tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
if held == 0 then
  -- A set that was empty did not exist (Redis drops empty sets): the new one needs its TTL.
  redis.call('PEXPIRE', KEYS[2], lease * 2)
elseif now - tonumber(st[3] or '0') > lease / 2 then
  redis.call('PEXPIRE', KEYS[2], lease * 2)
  redis.call('HSET', KEYS[1], 'slotsRefreshed', now)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
end
if probe == 1 then
  redis.call('HSET', KEYS[1], 'probeUntil', now + lease, 'probeToken', ARGV[1])
  return {'probe', 0}
end
return {'ok', 0}`;

const RELEASE = `${NOW}
redis.call('ZREM', KEYS[2], ARGV[1])
local st = redis.call('HMGET', KEYS[1], 'probeToken', 'openUntil', 'failures', 'refreshed')
local isProbe = st[1] == ARGV[1]
local openUntil = tonumber(st[2] or '0')
local ttl = tonumber(ARGV[6])
if now - tonumber(st[4] or '0') > ttl / 2 then
  redis.call('HSET', KEYS[1], 'released', now, 'refreshed', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('HSET', KEYS[1], 'released', now)
end
if ARGV[2] == 'up' then
  -- A healthy endpoint's release writes only what changed: nothing to clear most of the time.
  if openUntil > 0 or st[1] or st[3] then
    redis.call('HDEL', KEYS[1], 'failures', 'openUntil', 'opens', 'probeUntil', 'probeToken')
  end
  if openUntil > 0 then return {'closed', 0} end
  return {'unchanged', 0}
end
if ARGV[2] == 'unknown' then
  if isProbe then redis.call('HDEL', KEYS[1], 'probeUntil', 'probeToken') end
  return {'unchanged', 0}
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if isProbe or (openUntil == 0 and failures >= tonumber(ARGV[3])) then
  local opens = redis.call('HINCRBY', KEYS[1], 'opens', 1)
  local d = math.min(tonumber(ARGV[4]) * 2 ^ (opens - 1), tonumber(ARGV[5]))
  redis.call('HSET', KEYS[1], 'openUntil', now + d, 'failures', 0)
  redis.call('HDEL', KEYS[1], 'probeUntil', 'probeToken')
  return {'opened', now + d}
end
return {'unchanged', 0}`;

/** Waits until woken (the first waiter of `key` is called) or `ms` passed, whichever is first. */
function waitInLine(lines: Map<string, (() => void)[]>, key: string, ms: number): Promise<void> {
  const line = lines.get(key) ?? [];
  lines.set(key, line);
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      const i = line.indexOf(done);
      if (i >= 0) line.splice(i, 1);
      if (line.length === 0 && lines.get(key) === line) lines.delete(key);
      resolve();
    }
    line.push(done);
  });
}

/**
 * Per-process permits per endpoint (as many as the shared slots): attempts of one process beyond
 * the endpoint's limit wait here, woken by this process's own releases, until their deadline.
 * Redis stays the authority across replicas; an attempt that got no permit in time still asks it.
 */
function localPermits(limit: number) {
  const taken = new Map<string, number>();
  const queued = new Map<string, (() => void)[]>();
  const tryTake = (key: string) => {
    const n = taken.get(key) ?? 0;
    if (n >= limit) return false;
    taken.set(key, n + 1);
    return true;
  };
  return {
    /** Tokens whose attempt holds a permit (released by `leave`). */
    holders: new Set<string>(),
    tryTake,
    /** Waits for a permit of `key` to be given back in this process, at most `ms`. */
    wait: (key: string, ms: number) => waitInLine(queued, key, ms),
    give(key: string): void {
      const n = (taken.get(key) ?? 1) - 1;
      if (n <= 0) taken.delete(key);
      else taken.set(key, n);
      queued.get(key)?.[0]?.();
    },
  };
}

export interface CircuitState {
  state: "closed" | "open" | "half-open";
  /** Consecutive failures counted towards opening. */
  failures: number;
  /** When an open circuit lets one probe through (ms), null when closed. */
  openUntil: number | null;
  /** How often it opened in a row without a success in between. */
  opens: number;
  /** Attempts in flight now. */
  inFlight: number;
}

/**
 * Per-endpoint isolation shared by all worker replicas: a concurrency limit (a Redis semaphore of
 * leased slots, so a hanging endpoint holds at most `concurrency` workers) and a circuit breaker
 * (after `failureThreshold` consecutive failures no attempt is made until `openMs` passed; then one
 * probe decides: success closes it, failure reopens it for twice as long, up to `maxOpenMs`).
 */
export function createEndpointGate(
  redis: RedisClient,
  prefix: string,
  policy: GatePolicy = DEFAULT_GATE_POLICY,
) {
  const k = keys(prefix);
  const keysOf = (tenantId: string, endpointId: string) =>
    [k.circuit(tenantId, endpointId), k.slots(tenantId, endpointId)] as const;
  // Breaker state of an endpoint nobody delivers to any more disappears on its own.
  const stateTtlMs = 7 * 24 * 3600_000;
  // Attempts of this process waiting for a slot, per endpoint; a local leave() wakes one at once.
  const waiting = new Map<string, (() => void)[]>();
  const wake = (key: string) => waiting.get(key)?.shift()?.();
  // Waiting for a slot is cheap when slots free up quickly (a fast endpoint at its limit): waiters
  // then replace a churn of postponed jobs. A hanging endpoint is told apart by its slots, not by
  // how long a wait took (which a busy machine stretches): none released or taken for `hangMs`.
  const maxWaiters = policy.concurrency * 4;

  const local = localPermits(policy.concurrency);
  const acquire = script(redis, ACQUIRE);
  const release = script(redis, RELEASE);

  async function tryEnter(tenantId: string, endpointId: string, token: string): Promise<GateEntry> {
    const [why, until, now, released] = (await acquire(keysOf(tenantId, endpointId), [
      token,
      String(policy.concurrency),
      String(policy.slotLeaseMs),
      String(stateTtlMs),
    ])) as [string, number, number?, number?];
    if (why === "ok" || why === "probe") return { ok: true, token, probe: why === "probe" };
    if (why === "busy") {
      const lastMove = Math.max(Number(released), Number(until) - policy.slotLeaseMs);
      return { ok: false, why, until: Number(until), congested: Number(now) - lastMove > policy.hangMs };
    }
    return { ok: false, why: why as "open" | "probing", until: Number(until) };
  }

  return {
    policy,
    /**
     * Takes a slot. When the endpoint is at its limit, waits up to `waitMs` for one to free (woken
     * at once by a release in this process, else re-checked every 50 ms): a busy but fast endpoint
     * then costs a short wait instead of a round trip through the delayed set. A congested
     * endpoint (it hangs: no slot moved for `hangMs`) gets no waiters at all, so it parks no
     * workers; its deliveries are postponed at once.
     */
    async enter(tenantId: string, endpointId: string, opts: { waitMs?: number } = {}): Promise<GateEntry> {
      const token = randomUUID();
      const key = `${tenantId}/${endpointId}`;
      const deadline = Date.now() + (opts.waitMs ?? 0);
      // This process's own attempts beyond the endpoint's limit wait for this process's releases
      // without asking Redis again: a worker at an endpoint's limit then costs one script call per
      // attempt instead of a poll every 50 ms while its own slots are held.
      let permit = local.tryTake(key);
      let entry = await tryEnter(tenantId, endpointId, token);
      for (;;) {
        if (entry.ok) {
          if (permit) local.holders.add(token);
          return entry;
        }
        const left = deadline - Date.now();
        const hopeless = entry.why !== "busy" || entry.congested || left <= 0;
        if (hopeless || (waiting.get(key)?.length ?? 0) >= maxWaiters) {
          if (permit) local.give(key);
          return entry;
        }
        if (!permit) {
          await local.wait(key, left);
          permit = local.tryTake(key);
          if (!permit) continue;
        } else {
          // Another replica holds the slots: look again soon, or when this process releases one.
          await waitInLine(waiting, key, Math.min(left, 50));
        }
        entry = await tryEnter(tenantId, endpointId, token);
      }
    },
    async leave(
      tenantId: string,
      endpointId: string,
      token: string,
      verdict: GateVerdict,
    ): Promise<GateRelease> {
      const [circuit, until] = (await release(keysOf(tenantId, endpointId), [
        token,
        verdict,
        String(policy.failureThreshold),
        String(policy.openMs),
        String(policy.maxOpenMs),
        String(stateTtlMs),
      ])) as [string, number];
      const key = `${tenantId}/${endpointId}`;
      if (local.holders.delete(token)) local.give(key);
      wake(key);
      if (circuit === "opened") return { circuit: "opened", until: Number(until) };
      return { circuit: circuit === "closed" ? "closed" : "unchanged" };
    },
    /** The breaker and slot state of one endpoint, for the API and operators. */
    async state(tenantId: string, endpointId: string): Promise<CircuitState> {
      const [circuitKey, slotsKey] = keysOf(tenantId, endpointId);
      const now = Date.now();
      const [h, inFlight] = await Promise.all([
        redis.hgetall(circuitKey),
        redis.zcount(slotsKey, now, "+inf"),
      ]);
      const openUntil = Number(h.openUntil ?? 0);
      return {
        state: openUntil === 0 ? "closed" : openUntil > now ? "open" : "half-open",
        failures: Number(h.failures ?? 0),
        openUntil: openUntil === 0 ? null : openUntil,
        opens: Number(h.opens ?? 0),
        inFlight,
      };
    },
    /** Closes the circuit at once (an operator fixed the receiver and does not want to wait). */
    async reset(tenantId: string, endpointId: string): Promise<void> {
      await redis.del(keysOf(tenantId, endpointId)[0]);
    },
  };
}
export type EndpointGate = ReturnType<typeof createEndpointGate>;
