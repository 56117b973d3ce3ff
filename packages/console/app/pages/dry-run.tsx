import type { DryRunResult } from "@mailhook/client";
import type { Rule } from "@mailhook/rules";
import { useState } from "preact/hooks";
import type { Session } from "../session.js";
import { ErrorBox, ExplanationTree, useLoad } from "../ui.js";

type DryRunWebhook = DryRunResult["messages"][number]["results"][number]["webhooks"][number];

/** The body one webhook action would send, as the worker would build it (nothing is sent). */
function WebhookPayloadView({ webhook: w }: { webhook: DryRunWebhook }) {
  return (
    <section class="payload" aria-label={`Payload to ${w.endpointId}`}>
      <p>
        Would send to <code>{w.endpointId}</code> ({w.bytes} bytes, webhook-id <code>{w.deliveryId}</code>)
        {!w.endpointExists && <span class="bad"> — no such endpoint: the worker would skip this action</span>}
      </p>
      {w.payload === null ? (
        <p class="muted">{w.omitted}</p>
      ) : (
        <pre>{JSON.stringify(w.payload, null, 2)}</pre>
      )}
    </section>
  );
}

/**
 * Dry run on a pasted or dropped .eml, or on the latest N messages of a mailbox: per message the
 * explanation tree of every rule, the values extracted and, for a matched rule, the payload each of
 * its webhooks would send. Nothing is delivered or marked.
 */
export function DryRun({ session, rules }: { session: Session; rules: Rule[] | null }) {
  const [eml, setEml] = useState("");
  const [over, setOver] = useState(false);
  const [mailbox, setMailbox] = useState("");
  const [latest, setLatest] = useState(5);
  const [result, setResult] = useState<DryRunResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const boxes = useLoad(() => session.client.mailboxes.list({ limit: 200 }));
  const run = async (input: Parameters<Session["client"]["rules"]["test"]>[0]) => {
    try {
      setResult(await session.client.rules.test({ ...input, ...(rules ? { rules } : {}) }));
      setError(null);
    } catch (e) {
      setError(e);
      setResult(null);
    }
  };
  return (
    <section class="card" aria-label="Dry run">
      <h2>Dry run {rules ? "(the rule being edited)" : "(saved rules)"}</h2>
      <section
        aria-label="Drop a message here"
        class={over ? "drop over" : "drop"}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={async (e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer?.files[0];
          if (f) setEml(await f.text());
        }}
      >
        <label style="display:flex">
          Message source (.eml): paste it, drop a file here, or choose one
          <textarea rows={6} value={eml} onInput={(e) => setEml(e.currentTarget.value)} />
        </label>
        <div class="row">
          <label>
            .eml file
            <input
              type="file"
              accept=".eml,message/rfc822"
              onChange={async (e) => {
                const f = e.currentTarget.files?.[0];
                if (f) setEml(await f.text());
              }}
            />
          </label>
          <button type="button" class="primary" disabled={eml.trim() === ""} onClick={() => run({ eml })}>
            Dry-run this message
          </button>
        </div>
      </section>
      <div class="row">
        <label>
          Mailbox
          <select value={mailbox} onChange={(e) => setMailbox(e.currentTarget.value)}>
            <option value="">choose…</option>
            {(boxes.data?.data ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {m.address}
              </option>
            ))}
          </select>
        </label>
        <label>
          Latest messages
          <input
            type="number"
            min={1}
            max={50}
            value={latest}
            onInput={(e) => setLatest(Number(e.currentTarget.value))}
          />
        </label>
        <button
          type="button"
          disabled={!mailbox}
          onClick={() => run({ mailbox: { id: mailbox, last: latest } })}
        >
          Dry-run the latest
        </button>
      </div>
      <ErrorBox error={error} />
      {result && (
        <section aria-live="polite" aria-label="Dry run result">
          {result.messages.length === 0 && <p>No messages.</p>}
          {result.messages.map((m, i) => (
            <div key={i} class="node">
              <h3>
                {m.message.uid !== null ? `UID ${m.message.uid}: ` : ""}“{m.message.subject}” from{" "}
                {m.message.from.map((a) => a.address).join(", ") || "(no sender)"}
              </h3>
              {m.results.map((r) => (
                <div key={r.rule.id}>
                  <p>
                    <strong class={r.matched ? "ok" : "bad"}>
                      {r.matched ? "✓ matched" : "✗ did not match"}
                    </strong>{" "}
                    rule <code>{r.rule.id}</code> ({r.rule.name})
                    {r.skipped
                      ? ` — conditions matched, but ${typeof r.skipped === "string" ? r.skipped : `stopped by ${r.skipped.stoppedBy}`}`
                      : ""}
                  </p>
                  {r.condition ? (
                    <ul class="tree">
                      <ExplanationTree node={r.condition} />
                    </ul>
                  ) : (
                    <p class="muted">No conditions: matches every message.</p>
                  )}
                  {Object.keys(r.extracted).length > 0 && (
                    <p>
                      Extracted:{" "}
                      {Object.entries(r.extracted).map(([k, v]) => (
                        <code key={k}>
                          {k} = {v === null ? "(nothing)" : JSON.stringify(v)}{" "}
                        </code>
                      ))}
                    </p>
                  )}
                  {r.webhooks.map((w) => (
                    <WebhookPayloadView key={w.deliveryId} webhook={w} />
                  ))}
                </div>
              ))}
              {m.message.text !== null && (
                <details>
                  <summary>Text the rules saw{m.message.textTruncated ? " (cut)" : ""}</summary>
                  <pre>{m.message.text}</pre>
                </details>
              )}
            </div>
          ))}
        </section>
      )}
    </section>
  );
}
