import type { DeliveryStatus, DeliverySummary } from "@mailhook/api-schema";
import type { DeliveryFilter } from "@mailhook/client";
import { useState } from "preact/hooks";
import type { Session } from "../session.js";
import { Action, ErrorBox, fmtTime, StateBadge, useLoad } from "../ui.js";

const STATUSES: DeliveryStatus[] = ["pending", "delivered", "failed", "dead"];

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function DeliveryDetail({ session, id, onChanged }: { session: Session; id: string; onChanged: () => void }) {
  const { data: d, error, reload } = useLoad(() => session.client.deliveries.get(id), [id]);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  if (error) return <ErrorBox error={error} />;
  if (!d) return <p>Loading…</p>;
  const replayable = d.status === "failed" || d.status === "dead";
  return (
    <section class="card" aria-label={`Delivery ${d.id}`}>
      <h2>
        Delivery <code>{d.id}</code> <StateBadge state={d.status} />
      </h2>
      <p class="muted">
        rule <code>{d.ruleId}</code> → endpoint <code>{d.endpointId}</code> · {d.mailboxId}/{d.folder} UID{" "}
        {d.uid} (UIDVALIDITY {d.uidValidity}) · created {fmtTime(d.createdAt)} · updated{" "}
        {fmtTime(d.updatedAt)}
      </p>
      <div class="row">
        <Action
          reason={session.readOnlyReason ?? (replayable ? null : `a ${d.status} delivery is not replayed`)}
          label="Replay this delivery"
          onClick={async () => {
            if (!confirm(`Send delivery ${d.id} again (same body and webhook-id)?`)) return;
            try {
              await session.client.deliveries.replay(d.id);
              setNotice("Replay queued.");
              setActionError(null);
              reload();
              onChanged();
            } catch (e) {
              setActionError(e);
            }
          }}
        >
          Replay
        </Action>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      <ErrorBox error={actionError} />
      <h3>Attempts ({d.attempts.length})</h3>
      {d.attempts.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>at</th>
              <th>status</th>
              <th>latency</th>
              <th>error</th>
              <th>response</th>
            </tr>
          </thead>
          <tbody>
            {d.attempts.map((a, i) => (
              <tr key={a.at}>
                <td>{i + 1}</td>
                <td>{fmtTime(a.at)}</td>
                <td>{a.status ?? "no answer"}</td>
                <td>{Math.round(a.latencyMs)} ms</td>
                <td>{a.error ?? ""}</td>
                <td>
                  <code>{a.responsePreview}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Payload</h3>
      <pre>{pretty(d.body)}</pre>
    </section>
  );
}

const PAGE_SIZE = 50;

export function DeliveriesPage({ session }: { session: Session }) {
  const [draft, setDraft] = useState<DeliveryFilter>({});
  const [filter, setFilter] = useState<DeliveryFilter>({});
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [selected, setSelected] = useState<string | null>(null);
  const [bulk, setBulk] = useState<string | null>(null);
  const [bulkError, setBulkError] = useState<unknown>(null);
  const { data, error, reload } = useLoad(
    () => session.client.deliveries.list({ ...filter, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
    [JSON.stringify(filter), cursor],
  );
  const set = (k: keyof DeliveryFilter, v: string) =>
    setDraft((d) => {
      const next = { ...d } as Record<string, string | undefined>;
      next[k] = v === "" ? undefined : v;
      return next as DeliveryFilter;
    });
  const rows: DeliverySummary[] = data?.data ?? [];
  return (
    <>
      <section class="card">
        <h2>Deliveries</h2>
        <form
          class="row"
          aria-label="Filter deliveries"
          onSubmit={(e) => {
            e.preventDefault();
            setCursors([]);
            setFilter(draft);
          }}
        >
          <label>
            Status
            <select value={draft.status ?? ""} onChange={(e) => set("status", e.currentTarget.value)}>
              <option value="">any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Endpoint
            <input value={draft.endpointId ?? ""} onInput={(e) => set("endpointId", e.currentTarget.value)} />
          </label>
          <label>
            Rule
            <input value={draft.ruleId ?? ""} onInput={(e) => set("ruleId", e.currentTarget.value)} />
          </label>
          <label>
            Mailbox
            <input value={draft.mailboxId ?? ""} onInput={(e) => set("mailboxId", e.currentTarget.value)} />
          </label>
          <label>
            From
            <input
              type="datetime-local"
              onInput={(e) =>
                set("from", e.currentTarget.value ? new Date(e.currentTarget.value).toISOString() : "")
              }
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              onInput={(e) =>
                set("to", e.currentTarget.value ? new Date(e.currentTarget.value).toISOString() : "")
              }
            />
          </label>
          <button class="primary" type="submit">
            Apply filters
          </button>
          <button type="button" onClick={reload}>
            Refresh
          </button>
        </form>
        {filter.endpointId && (
          <div class="row">
            <Action
              reason={session.readOnlyReason}
              onClick={async () => {
                const id = filter.endpointId ?? "";
                if (!confirm(`Replay every dead delivery of endpoint ${id}?`)) return;
                try {
                  const r = await session.client.endpoints.replayDead(id);
                  setBulk(`${r.replayed.length} replayed, ${r.skipped.length} skipped`);
                  setBulkError(null);
                  reload();
                } catch (e) {
                  setBulkError(e);
                }
              }}
            >
              Replay all dead of {filter.endpointId}
            </Action>
            {bulk && <span role="status">{bulk}</span>}
          </div>
        )}
        <ErrorBox error={bulkError ?? error} />
        <table aria-label="Deliveries">
          <thead>
            <tr>
              <th>created</th>
              <th>status</th>
              <th>rule</th>
              <th>endpoint</th>
              <th>mailbox</th>
              <th>attempts</th>
              <th>last error</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} class={d.id === selected ? "selected" : undefined}>
                <td>
                  <a
                    href={`#/deliveries?id=${encodeURIComponent(d.id)}`}
                    onClick={(e) => {
                      e.preventDefault();
                      setSelected(d.id);
                    }}
                  >
                    {fmtTime(d.createdAt)}
                  </a>
                </td>
                <td>
                  <StateBadge state={d.status} />
                </td>
                <td>{d.ruleId}</td>
                <td>{d.endpointId}</td>
                <td>
                  {d.mailboxId}/{d.folder} #{d.uid}
                </td>
                <td>{d.attempts}</td>
                <td>{d.lastError ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data && rows.length === 0 && <p class="muted">No deliveries on this page.</p>}
        <div class="row">
          <button
            type="button"
            disabled={cursors.length === 0}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            Previous page
          </button>
          <button
            type="button"
            disabled={!data?.nextCursor}
            onClick={() => data?.nextCursor && setCursors((c) => [...c, data.nextCursor as string])}
          >
            Next page
          </button>
          <span class="muted">page {cursors.length + 1}</span>
        </div>
      </section>
      {selected && <DeliveryDetail session={session} id={selected} onChanged={reload} />}
    </>
  );
}
