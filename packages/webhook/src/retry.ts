/**
 * Delay after the 1st, 2nd, … failed attempt: ten attempts spread over about 23 hours, so a receiver
 * that is down for a deploy, a night or a long outage still gets every message.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: number[] = [
  5_000,
  30_000,
  2 * 60_000,
  10 * 60_000,
  30 * 60_000,
  60 * 60_000,
  3 * 60 * 60_000,
  6 * 60 * 60_000,
  12 * 60 * 60_000,
];

/** A receiver's Retry-After is honoured up to this long; beyond it the schedule would stall for days. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

/** Jitter spreads retries of many deliveries that failed together (an outage) over ±20%. */
const JITTER = 0.2;

/**
 * Milliseconds to wait before the next attempt, or null when the schedule is exhausted (dead-letter).
 *
 * `attemptsMade` counts the attempts already made, all failed (BullMQ's `attemptsMade`): after the
 * first failure it is 1 and the delay is `schedule[0]`. A Retry-After from the receiver is a lower
 * bound (capped at 24 h); it never adds attempts beyond the schedule.
 *
 * @example
 * retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, null) // 4000..6000
 * retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, 60_000) // 60000
 * retryDelay(10, DEFAULT_RETRY_SCHEDULE_MS, null) // null
 */
export function retryDelay(
  attemptsMade: number,
  schedule: number[],
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const base = schedule[Math.max(attemptsMade, 1) - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  if (retryAfterMs === null || !(retryAfterMs > 0)) return jittered;
  return Math.max(jittered, Math.min(Math.ceil(retryAfterMs), MAX_RETRY_AFTER_MS));
}

/**
 * Parses a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns milliseconds
 * from `now`, 0 for a date in the past, null when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Only date-looking values: Date.parse accepts odd inputs like "1.5" that are not HTTP-dates.
  if (!/[a-z]/i.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
