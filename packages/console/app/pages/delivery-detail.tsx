import type { DeliveryView, FollowUpAction } from "@mailhook/api-schema";
import { useState } from "preact/hooks";
import type { Session } from "../session.js";
import { Action, ErrorBox, fmtTime, StateBadge, useLoad } from "../ui.js";

/** ms from the watcher seeing the message to the receiver's answer of the delivered attempt. */
function endToEnd(d: DeliveryView): number | null {
  const last = d.attempts[d.attempts.length - 1];
  if (d.status !== "delivered" || !last || d.seenAt === null) return null;
  return Math.round(Date.parse(last.at) + last.latencyMs - Date.parse(d.seenAt));
}

function actionText(a: FollowUpAction): string {
  switch (a.type) {
    case "move":
    case "copy":
      return `${a.type} to ${a.to ?? "?"}`;
    case "flag":
      return [
        a.add?.length ? `add ${a.add.join(" ")}` : "",
        a.remove?.length ? `remove ${a.remove.join(" ")}` : "",
      ]
        .filter(Boolean)
        .join(", ")
        .replace(/^/, "flag: ");
    case "delete":
      return a.expunge ? "delete (expunge)" : "delete (to Trash)";
  }
}

/** Ack-then-act: the IMAP actions that wait for this delivery (and the rule's other webhooks). */
function FollowUps({ delivery: d }: { delivery: DeliveryView }) {
  if (d.followUps.length === 0) return null;
  return (
    <section aria-label="Follow-up actions">
      <h3>Follow-up actions (ack-then-act)</h3>
      <ul>
        {d.followUps.map((f, i) => (
          <li key={i}>
            <StateBadge state={f.state} /> {f.actions.map(actionText).join("; ")}
            {f.after.length > 1 && (
              <span class="muted">
                {" "}
                · after {f.after.length} webhooks: {f.after.join(", ")}
              </span>
            )}
            {f.reason && <div class="muted">{f.reason}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function DeliveryDetail({
  session,
  id,
  onChanged,
}: {
  session: Session;
  id: string;
  onChanged: () => void;
}) {
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
        {endToEnd(d) !== null && ` · end to end ${endToEnd(d)} ms (watcher saw the mail → receiver answered)`}
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
      <FollowUps delivery={d} />
      <h3>Payload</h3>
      <pre>{pretty(d.body)}</pre>
    </section>
  );
}
