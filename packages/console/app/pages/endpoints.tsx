import type { CircuitView, EndpointTestResult, EndpointView } from "@mailhook/api-schema";
import { allPages } from "@mailhook/client";
import { useState } from "preact/hooks";
import { lockReason, type Session } from "../session.js";
import { Action, ErrorBox, fmtTime, ManagedBadge, StateBadge, useLoad } from "../ui.js";

function Circuit({ c }: { c: CircuitView }) {
  const words =
    c.state === "open"
      ? `open until ${fmtTime(c.openUntil)}: no attempts until then`
      : c.state === "half-open"
        ? "half-open: the next attempt probes the receiver"
        : c.failures > 0
          ? `closed, ${c.failures} failure${c.failures === 1 ? "" : "s"} in a row`
          : null;
  return (
    <div>
      circuit <StateBadge state={c.state} />
      {(words || c.inFlight > 0) && (
        <div class="muted">
          {[
            words,
            c.opens > 1 ? `opened ${c.opens}× in a row` : null,
            c.inFlight > 0 ? `${c.inFlight} in flight` : null,
          ]
            .filter(Boolean)
            .join(" · ")}
        </div>
      )}
    </div>
  );
}

function TestOutcome({ r }: { r: EndpointTestResult }) {
  return (
    <div class={r.ok ? "ok" : "bad"} role="status">
      Test event: {r.status === null ? "no answer" : `HTTP ${r.status}`} in {Math.round(r.latencyMs)} ms
      {r.error ? ` (${r.error})` : ""}
      {r.responsePreview && (
        <div>
          <code>{r.responsePreview}</code>
        </div>
      )}
    </div>
  );
}

export function EndpointsPage({ session }: { session: Session }) {
  const load = async () => {
    const out: EndpointView[] = [];
    for await (const e of allPages((p) => session.client.endpoints.list(p))) out.push(e);
    return out;
  };
  const { data, error, reload } = useLoad(load);
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState<{ id: string; secret: string; note: string } | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [tests, setTests] = useState<Record<string, EndpointTestResult>>({});
  const attempt = async (f: () => Promise<void>) => {
    try {
      await f();
      setActionError(null);
    } catch (e) {
      setActionError(e);
    }
    reload();
  };
  return (
    <>
      <section class="card">
        <h2>Endpoints</h2>
        <ErrorBox error={error ?? actionError} />
        {secret && (
          <div class="notice" role="status">
            <p>
              Signing secret of <code>{secret.id}</code>, shown this once ({secret.note}):
            </p>
            <p class="secret">{secret.secret}</p>
            <button type="button" onClick={() => setSecret(null)}>
              I have stored it
            </button>
          </div>
        )}
        <table aria-label="Endpoints">
          <thead>
            <tr>
              <th>endpoint</th>
              <th>state</th>
              <th>secrets</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {(data ?? []).map((ep) => {
              const lock = lockReason(session, ep.managed);
              return (
                <tr key={ep.id}>
                  <td>
                    <code>{ep.id}</code> <ManagedBadge managed={ep.managed} />
                    <div>{ep.url}</div>
                    <div class="muted">updated {fmtTime(ep.updatedAt)}</div>
                  </td>
                  <td>
                    <StateBadge state={ep.state} />
                    {ep.state === "gone" && (
                      <div class="bad">The receiver answered 410 Gone: mailhook stopped sending.</div>
                    )}
                    {ep.disabledReason && <div class="muted">{ep.disabledReason}</div>}
                    <Circuit c={ep.circuit} />
                    {tests[ep.id] && <TestOutcome r={tests[ep.id] as EndpointTestResult} />}
                  </td>
                  <td>{ep.activeSecrets} active</td>
                  <td class="row">
                    <Action
                      label={`Rotate secret of ${ep.id}`}
                      reason={lock}
                      onClick={() =>
                        attempt(async () => {
                          if (
                            !confirm(
                              `Rotate the signing secret of ${ep.id}? The old one keeps signing for 24 h.`,
                            )
                          )
                            return;
                          const r = await session.client.endpoints.rotateSecret(ep.id, {
                            overlapSeconds: 86_400,
                          });
                          setSecret({
                            id: r.id,
                            secret: r.secret,
                            note: "the previous secret keeps signing for 24 h",
                          });
                        })
                      }
                    >
                      Rotate secret
                    </Action>
                    <Action
                      label={`${ep.enabled ? "Disable" : "Enable"} ${ep.id}`}
                      reason={lock}
                      onClick={() =>
                        attempt(async () => {
                          await session.client.endpoints.update(ep.id, { enabled: !ep.enabled });
                        })
                      }
                    >
                      {ep.enabled ? "Disable" : ep.state === "gone" ? "Enable again" : "Enable"}
                    </Action>
                    <Action
                      label={`Send test event to ${ep.id}`}
                      reason={session.readOnlyReason}
                      onClick={() =>
                        attempt(async () => {
                          const r = await session.client.endpoints.sendTest(ep.id);
                          setTests((t) => ({ ...t, [ep.id]: r }));
                        })
                      }
                    >
                      Send test event
                    </Action>
                    <a href="#/deliveries">Deliveries</a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {data && data.length === 0 && <p class="muted">No endpoints yet.</p>}
      </section>
      <section class="card" aria-label="Create an endpoint">
        <h2>Create an endpoint</h2>
        <div class="row">
          <label>
            URL
            <input value={url} size={50} onInput={(e) => setUrl(e.currentTarget.value)} />
          </label>
          <Action
            primary
            reason={session.readOnlyReason}
            onClick={() =>
              attempt(async () => {
                const ep = await session.client.endpoints.create({ url });
                setSecret({ id: ep.id, secret: ep.secret, note: "store it with the receiver" });
                setUrl("");
              })
            }
          >
            Create endpoint
          </Action>
        </div>
      </section>
    </>
  );
}
