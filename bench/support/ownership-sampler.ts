import type { Store } from "@mailhook/store";
import type { ImapUser, TestDovecot } from "@mailhook/testing";
import { distribution, round } from "./stats.js";

const SAMPLE_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SamplerOptions {
  ids: string[];
  users: ImapUser[];
  store: Store;
  tenant: string;
  dovecot: TestDovecot;
  timeoutMs: number;
  log(line: string): void;
}

export interface Sample {
  t: number;
  owners: Map<string, number>;
  unowned: number;
  notIdle: number;
  doubled: number;
  /** Per mailbox: IDLE (connected) under the lease holder. */
  idle: boolean[];
  holder: (string | null)[];
}

export interface Phase {
  ms: number;
  worstSpread: number;
  /** When the leases first were fair (spread ≤ 1.2 over the members, none without, 0 unowned), IDLE or not (ms). */
  fairMs: number | null;
  maxUnowned: number;
  maxDoubled: number;
  /** Longest run of samples with any mailbox on two sessions (ms). */
  longestDoubledMs: number;
  /** Per mailbox that stopped being IDLE in the phase: how long until it was IDLE again (ms). */
  gaps: number[];
  /** Per mailbox: how often its lease went to a different replica than the one that held it last. */
  moves: number[];
  last: Sample;
}

export const spreadOf = (s: Sample, members: string[]) => {
  const c = members.map((m) => s.owners.get(m) ?? 0);
  return Math.min(...c) === 0 ? Number.POSITIVE_INFINITY : round(Math.max(...c) / Math.min(...c));
};

/**
 * Samples leases and statuses (Redis) and sessions (`doveadm who`) of every bench mailbox, every
 * 250 ms, while a phase runs: ownership spread, unowned, two sessions, not-IDLE gaps, moves.
 */
export function createSampler(o: SamplerOptions) {
  const { ids, users, tenant, log } = o;
  const redis = o.store.redis;
  const k = o.store.keys;
  const N = ids.length;
  async function sample(): Promise<Sample> {
    const t = performance.now();
    const [leases, statuses, sessions] = await Promise.all([
      Promise.all(ids.map((id) => redis.get(k.lease(tenant, id)))),
      Promise.all(ids.map((id) => redis.hget(k.status(tenant, id), "INBOX"))),
      o.dovecot.sessions(),
    ]);
    const owners = new Map<string, number>();
    const holder = leases.map((l) => (l ? l.slice(0, l.lastIndexOf(".")) : null));
    for (const h of holder) if (h) owners.set(h, (owners.get(h) ?? 0) + 1);
    const idle = statuses.map((raw, i) => {
      const st = raw ? (JSON.parse(raw) as { state: string; owner: string | null }) : null;
      return st?.state === "connected" && st.owner === holder[i];
    });
    return {
      t,
      owners,
      unowned: holder.filter((h) => h === null).length,
      notIdle: idle.filter((x) => !x).length,
      doubled: users.filter((u) => (sessions.get(u.user) ?? 0) > 1).length,
      idle,
      holder,
    };
  }

  /** Samples until `done` holds for the sample (or the timeout); records what happened meanwhile. */
  async function watch(
    members: () => string[],
    done: (s: Sample) => boolean,
    since = performance.now(),
  ): Promise<Phase> {
    const downSince = new Map<number, number>();
    const gaps: number[] = [];
    let worstSpread = 0;
    let fairMs: number | null = null;
    let maxUnowned = 0;
    let maxDoubled = 0;
    let doubledFrom: number | null = null;
    let longestDoubledMs = 0;
    const moves = ids.map(() => 0);
    const lastHolder: (string | null)[] = ids.map(() => null);
    let progressAt = performance.now();
    for (;;) {
      const s = await sample();
      if (s.t - progressAt > 10_000) {
        progressAt = s.t;
        log(
          `  … ${round((s.t - since) / 1000)} s: ${N - s.notIdle} IDLE, ${s.unowned} unowned, ${s.doubled} on two sessions`,
        );
      }
      s.holder.forEach((h, i) => {
        if (h === null) return;
        if (lastHolder[i] !== null && lastHolder[i] !== h) moves[i]!++;
        lastHolder[i] = h;
      });
      s.idle.forEach((ok, i) => {
        if (!ok && !downSince.has(i)) downSince.set(i, s.t);
        if (ok && downSince.has(i)) {
          gaps.push(round(s.t - (downSince.get(i) as number)));
          downSince.delete(i);
        }
      });
      const sp = spreadOf(s, members());
      if (Number.isFinite(sp)) worstSpread = Math.max(worstSpread, sp);
      if (fairMs === null && s.unowned === 0 && sp <= 1.2) fairMs = round(s.t - since);
      maxUnowned = Math.max(maxUnowned, s.unowned);
      maxDoubled = Math.max(maxDoubled, s.doubled);
      if (s.doubled > 0) doubledFrom ??= s.t;
      else doubledFrom = null;
      if (doubledFrom !== null) longestDoubledMs = Math.max(longestDoubledMs, round(s.t - doubledFrom));
      if (done(s))
        return {
          ms: round(s.t - since),
          worstSpread,
          fairMs,
          maxUnowned,
          maxDoubled,
          longestDoubledMs,
          gaps,
          moves,
          last: s,
        };
      if (performance.now() - since > o.timeoutMs) {
        const states = new Map<string, number>();
        const raw = await Promise.all(ids.map((id) => redis.hget(k.status(tenant, id), "INBOX")));
        for (const r of raw) {
          const st = r ? (JSON.parse(r) as { state: string }).state : "none";
          states.set(st, (states.get(st) ?? 0) + 1);
        }
        log(`Dovecot log tail:\n${o.dovecot.readLog(40)}`);
        throw new Error(
          `phase timed out: ${s.notIdle} not IDLE, ${s.unowned} unowned; states ${JSON.stringify(Object.fromEntries(states))}`,
        );
      }
      await sleep(SAMPLE_MS);
    }
  }

  const settled = (members: string[]) => (s: Sample) =>
    s.notIdle === 0 &&
    s.unowned === 0 &&
    s.doubled === 0 &&
    spreadOf(s, members) <= 1.2 &&
    members.every((m) => (s.owners.get(m) ?? 0) > 0);
  const report = (name: string, p: Phase) =>
    log(
      `${name}: ${round(p.ms / 1000)} s (leases fair after ${p.fairMs === null ? "-" : round(p.fairMs / 1000)} s); spread ${spreadOf(p.last, [...p.last.owners.keys()])} (${[...p.last.owners.values()].join("/")}), worst ${p.worstSpread}; unowned max ${p.maxUnowned}; two sessions max ${p.maxDoubled} for ${p.longestDoubledMs} ms; not-IDLE gaps ${p.gaps.length ? JSON.stringify(distribution(p.gaps)) : "none"}`,
    );
  const summary = (p: Phase) => ({
    seconds: round(p.ms / 1000),
    spread: spreadOf(p.last, [...p.last.owners.keys()]),
    counts: [...p.last.owners.values()],
    worstSpread: p.worstSpread,
    leasesFairSeconds: p.fairMs === null ? null : round(p.fairMs / 1000),
    maxUnowned: p.maxUnowned,
    maxDoubled: p.maxDoubled,
    longestDoubledMs: p.longestDoubledMs,
    gaps: p.gaps.length ? distribution(p.gaps) : null,
  });

  return { sample, watch, settled, report, summary };
}
export type Sampler = ReturnType<typeof createSampler>;
