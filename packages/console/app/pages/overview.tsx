import type { DeliverySummary } from "@mailhook/api-schema";
import { allPages } from "@mailhook/client";
import { type MinuteBucket, perMinute } from "../../src/stats.js";
import type { Session } from "../session.js";
import { ErrorBox, StateBadge, useLoad } from "../ui.js";

/** Most deliveries of the last hour the charts read (server pages of 200). */
const MAX_POINTS = 5000;
/** Dead letters are counted up to this many; beyond, the page says "at least". */
const MAX_DEAD = 1000;

async function take<T>(it: AsyncGenerator<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= max) break;
  }
  return out;
}

function Bars({
  buckets,
  value,
  label,
  unit,
}: {
  buckets: MinuteBucket[];
  value: (b: MinuteBucket) => number | null;
  label: string;
  unit: string;
}) {
  const w = 600;
  const h = 120;
  const max = Math.max(1, ...buckets.map((b) => value(b) ?? 0));
  const bw = w / buckets.length;
  return (
    <figure>
      <svg
        viewBox={`0 0 ${w} ${h + 14}`}
        width="100%"
        role="img"
        aria-label={`${label}, the last 60 minutes; highest ${max} ${unit}`}
      >
        {buckets.map((b, i) => {
          const v = value(b) ?? 0;
          const bh = (v / max) * h;
          return <rect key={b.at} x={i * bw + 1} y={h - bh} width={bw - 2} height={bh} fill="#2452c8" />;
        })}
        <text x="0" y={h + 12}>
          −60 min
        </text>
        <text x={w - 30} y={h + 12}>
          now
        </text>
      </svg>
      <figcaption class="muted">
        {label} (max {max} {unit})
      </figcaption>
    </figure>
  );
}

export function OverviewPage({ session }: { session: Session }) {
  const { data, error } = useLoad(async () => {
    const now = Date.now();
    const from = new Date(now - 60 * 60_000).toISOString();
    const c = session.client;
    const [recent, dead, boxes] = await Promise.all([
      take(
        allPages<DeliverySummary>((p) => c.deliveries.list({ ...p, from })),
        MAX_POINTS,
      ),
      take(
        allPages<DeliverySummary>((p) => c.deliveries.list({ ...p, status: "dead" })),
        MAX_DEAD,
      ),
      take(
        allPages((p) => c.mailboxes.list(p)),
        500,
      ),
    ]);
    const statuses = await Promise.all(boxes.filter((m) => m.enabled).map((m) => c.mailboxes.status(m.id)));
    const notConnected = statuses.flatMap((s) =>
      s.folders.filter((f) => f.state !== "connected").map((f) => ({ mailboxId: s.mailboxId, ...f })),
    );
    return { buckets: perMinute(recent, now), total: recent.length, dead: dead.length, notConnected };
  });
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p>Loading the overview…</p>;
  return (
    <>
      <div class="grid2">
        <section class="card" aria-label="Dead letters">
          <h2>Dead letters</h2>
          <p style="font-size:2rem;margin:0" class={data.dead ? "bad" : "ok"}>
            {data.dead >= MAX_DEAD ? `${MAX_DEAD}+` : data.dead}
          </p>
          <a href="#/deliveries">Open the deliveries</a>
        </section>
        <section class="card" aria-label="Folders not connected">
          <h2>Folders not connected ({data.notConnected.length})</h2>
          {data.notConnected.length === 0 ? (
            <p class="ok">Every folder of every enabled mailbox is connected.</p>
          ) : (
            <ul>
              {data.notConnected.map((f) => (
                <li key={f.mailboxId + f.folder}>
                  <code>{f.mailboxId}</code>/{f.folder}: <StateBadge state={f.state} /> {f.lastError ?? ""}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section class="card" aria-label="The last hour">
        <h2>The last hour: {data.total} deliveries</h2>
        <div class="grid2">
          <Bars
            buckets={data.buckets}
            value={(b) => b.count}
            label="Deliveries per minute"
            unit="per minute"
          />
          <Bars
            buckets={data.buckets}
            value={(b) => b.medianMs}
            label="Median end-to-end latency (watcher saw the mail → receiver answered)"
            unit="ms"
          />
        </div>
      </section>
    </>
  );
}
