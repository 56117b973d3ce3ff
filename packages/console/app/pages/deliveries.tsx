import type { DeliveryStatus, DeliverySummary } from "@mailhook/api-schema";
import type { DeliveryFilter } from "@mailhook/client";
import { useState } from "preact/hooks";
import type { Session } from "../session.js";
import { Action, ErrorBox, fmtTime, StateBadge, useLoad } from "../ui.js";
import { DeliveryDetail } from "./delivery-detail.js";

const STATUSES: DeliveryStatus[] = ["pending", "delivered", "failed", "dead"];

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
                if (!confirm(`Replay every failed or dead-lettered delivery of endpoint ${id}?`)) return;
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
              Replay all failed and dead of {filter.endpointId}
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
