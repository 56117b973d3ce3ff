import { Redis } from "ioredis";

/** Calls per Redis command so far (`INFO commandstats`), e.g. { evalsha: 1200, get: 800 }. */
export async function redisCommandCalls(url: string): Promise<Record<string, number>> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await redis.info("commandstats");
    const out: Record<string, number> = {};
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
    return out;
  } finally {
    redis.disconnect();
  }
}

/** Commands per message between two snapshots, largest first (the bench's own INFO calls excluded). */
export function commandsPerMessage(
  before: Record<string, number>,
  after: Record<string, number>,
  messages: number,
): { total: number; top: Record<string, number> } {
  const diff = Object.entries(after)
    .filter(([cmd]) => cmd !== "info")
    .map(([cmd, n]) => [cmd, (n - (before[cmd] ?? 0)) / messages] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    total: round(diff.reduce((a, [, n]) => a + n, 0)),
    top: Object.fromEntries(diff.slice(0, 30).map(([c, n]) => [c, round(n)])),
  };
}
