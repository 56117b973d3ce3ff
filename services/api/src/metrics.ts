import { type DeliveryRecord, FolderStatus, getMany, type Store } from "@mailhook/store";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface MetricsOptions {
  store: Store;
  jobCounts?: (() => Promise<Record<string, Record<string, number>>>) | undefined;
  /** Delivery records looked at per tenant and scrape for the delivery gauges and the latency histogram. */
  recentDeliveries?: number;
}

/**
 * Metrics the API can see: its own requests, and the pipeline's state as written to Redis (folder
 * statuses, queue counts, delivery records), read at scrape time. One Registry per app, not
 * prom-client's global one, so several apps (tests) never collide.
 */
export function createMetrics(opts: MetricsOptions) {
  const { store } = opts;
  const recent = opts.recentDeliveries ?? 1000;
  const registry = new Registry();
  const requests = new Counter({
    name: "mailhook_http_requests_total",
    help: "API requests by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "mailhook_http_request_duration_seconds",
    help: "API request duration",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  new Gauge({
    name: "mailhook_imap_folders",
    help: "Watched folders by connection state (connected = IDLE), from the watchers' status records",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const counts: Record<string, number> = {
        connected: 0,
        connecting: 0,
        "auth-failed": 0,
        error: 0,
        stopped: 0,
      };
      const all = await store.redis.hvals(store.keys.mailboxes);
      for (const raw of all) {
        const m = JSON.parse(raw) as { tenantId: string; id: string };
        const h = await store.redis.hgetall(store.keys.status(m.tenantId, m.id));
        for (const v of Object.values(h)) {
          const s = FolderStatus.safeParse(JSON.parse(v));
          if (s.success) counts[s.data.state] = (counts[s.data.state] ?? 0) + 1;
        }
      }
      this.reset();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  // Written by the workers (HINCRBY per range FETCH); read here at scrape time.
  const fetchCounter = (name: string, help: string, field: string) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        const v = Number((await store.redis.hget(store.keys.metrics, field)) ?? 0);
        this.reset();
        if (v > 0) this.inc(v);
      },
    });
  fetchCounter(
    "mailhook_fetch_bytes_total",
    "Message bytes the workers received from IMAP (header fields, body sections, raw sources)",
    "fetch_bytes",
  );
  fetchCounter("mailhook_fetched_messages_total", "Messages the workers fetched from IMAP", "fetch_messages");
  fetchCounter(
    "mailhook_fetch_fallbacks_total",
    "Messages read from their capped source because their BODYSTRUCTURE was missing, unusable or too large",
    "fetch_fallbacks",
  );
  fetchCounter(
    "mailhook_fetch_failures_total",
    "Messages the IMAP server refused to hand out even on their own (failed records with stage fetch)",
    "fetch_failed",
  );
  fetchCounter(
    "mailhook_imap_budget_deferrals_total",
    "Jobs put back because their mailbox's IMAP session budget was full (IMAP_SESSIONS_PER_MAILBOX)",
    "imap_budget_deferrals",
  );
  fetchCounter(
    "mailhook_imap_routed_jobs_total",
    "Jobs forwarded to the worker holding their mailbox's IMAP sessions",
    "imap_routed_jobs",
  );
  new Gauge({
    name: "mailhook_jobs",
    help: "Jobs by queue and state (BullMQ)",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      if (!opts.jobCounts) return;
      const counts = await opts.jobCounts();
      this.reset();
      for (const [queue, states] of Object.entries(counts))
        for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
    },
  });
  const latency: Histogram = new Histogram({
    name: "mailhook_delivery_latency_seconds",
    help: "End to end: watcher saw the message → receiver accepted the webhook (first successful attempt)",
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
    async collect() {
      await scanDeliveries();
    },
  });
  // Deliveries already observed in the histogram (bounded: cleared when large; a restart resets the
  // histogram anyway, which Prometheus handles as a counter reset).
  const observed = new Set<string>();
  // prom-client collects every metric of a scrape concurrently: the gauge and the histogram share
  // one scan of the delivery records per scrape.
  let scan: { at: number; counts: Promise<Record<string, number>> } | null = null;
  const scanDeliveries = (): Promise<Record<string, number>> => {
    if (scan && Date.now() - scan.at < 1_000) return scan.counts;
    scan = { at: Date.now(), counts: readDeliveries() };
    return scan.counts;
  };
  const readDeliveries = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = { pending: 0, delivered: 0, failed: 0, dead: 0 };
    for (const tenantId of await store.listTenants()) {
      const ids = await store.listDeliveryIds(tenantId, recent);
      if (ids.length === 0) continue;
      const raws = await getMany(
        store.redis,
        ids.map((id) => store.keys.delivery(id)),
      );
      for (const raw of raws) {
        if (!raw) continue;
        const d = JSON.parse(raw) as DeliveryRecord;
        counts[d.status] = (counts[d.status] ?? 0) + 1;
        if (d.status === "delivered" && !observed.has(d.id)) {
          const ok = d.attempts.find((a) => a.status !== null && a.status >= 200 && a.status < 300);
          if (ok) latency.observe(Math.max(0, Date.parse(ok.at) + ok.latencyMs - d.seenAt) / 1000);
          if (observed.size > 200_000) observed.clear();
          observed.add(d.id);
        }
      }
    }
    return counts;
  };
  new Gauge({
    name: "mailhook_deliveries_recent",
    help: "Status of each tenant's most recent delivery records (up to 1000 per tenant)",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      const counts = await scanDeliveries();
      this.reset();
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });
  return {
    registry,
    observeRequest(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
