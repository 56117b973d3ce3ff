/** What the overview's charts need of a delivery. */
export interface DeliveryPoint {
  createdAt: string;
  status: string;
  /** Watcher saw the message → the receiver answered (delivered ones; the API computes it). */
  endToEndMs: number | null;
}

export interface MinuteBucket {
  /** Start of the minute (ms since epoch). */
  at: number;
  count: number;
  delivered: number;
  /** Median end-to-end latency of the delivered ones, ms; null when none. */
  medianMs: number | null;
}

/** Deliveries per minute over the `minutes` before `now`, oldest first, with each minute's median end-to-end latency. */
export function perMinute(points: DeliveryPoint[], now: number, minutes = 60): MinuteBucket[] {
  const start = Math.floor(now / 60_000) * 60_000 - (minutes - 1) * 60_000;
  const buckets = Array.from({ length: minutes }, (_, i) => ({
    at: start + i * 60_000,
    count: 0,
    lat: [] as number[],
  }));
  for (const p of points) {
    const t = Date.parse(p.createdAt);
    const i = Math.floor((t - start) / 60_000);
    const b = buckets[i];
    if (!b) continue;
    b.count++;
    if (p.status === "delivered" && p.endToEndMs !== null) b.lat.push(p.endToEndMs);
  }
  return buckets.map((b) => {
    const sorted = b.lat.sort((x, y) => x - y);
    const mid = sorted.length ? (sorted[Math.floor((sorted.length - 1) / 2)] ?? null) : null;
    return { at: b.at, count: b.count, delivered: sorted.length, medianMs: mid };
  });
}
