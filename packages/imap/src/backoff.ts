/**
 * Capped exponential backoff with "equal jitter": the delay for attempt n is uniformly drawn from
 * [d/2, d] where d = min(cap, base * 2^n). Half the window is jittered so replicas that lost the
 * same server do not reconnect in lockstep, half is kept so a retry never comes immediately.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}
