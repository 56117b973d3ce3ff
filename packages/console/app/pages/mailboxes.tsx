import type { MailboxStatus, MailboxTestResult, MailboxView } from "@mailhook/api-schema";
import { allPages } from "@mailhook/client";
import { useEffect, useState } from "preact/hooks";
import { lockReason, type Session } from "../session.js";
import { Action, ErrorBox, fmtTime, ManagedBadge, StateBadge, useLoad } from "../ui.js";

interface Row {
  mailbox: MailboxView;
  status: MailboxStatus | null;
}

function AddMailbox({ session, onAdded }: { session: Session; onAdded: () => void }) {
  const [f, setF] = useState({
    address: "",
    host: "",
    port: "993",
    tls: "implicit",
    user: "",
    password: "",
    folders: "INBOX",
  });
  const [error, setError] = useState<unknown>(null);
  const field = (k: keyof typeof f, label: string, type = "text") => (
    <label>
      {label}
      <input type={type} value={f[k]} onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })} />
    </label>
  );
  return (
    <section class="card" aria-label="Add a mailbox">
      <h2>Add a mailbox</h2>
      <p class="muted">The server logs in first; if it cannot, nothing is saved and its answer is shown.</p>
      <div class="row">
        {field("address", "Address")}
        {field("host", "IMAP host")}
        {field("port", "Port", "number")}
        <label>
          TLS
          <select value={f.tls} onChange={(e) => setF({ ...f, tls: e.currentTarget.value })}>
            <option value="implicit">implicit (993)</option>
            <option value="starttls">STARTTLS</option>
            <option value="none">none</option>
          </select>
        </label>
        {field("user", "User")}
        {field("password", "Password", "password")}
        {field("folders", "Folders (comma-separated)")}
      </div>
      <ErrorBox error={error} />
      <Action
        primary
        reason={session.readOnlyReason}
        onClick={async () => {
          try {
            await session.client.mailboxes.create(
              {
                address: f.address,
                host: f.host,
                port: Number(f.port),
                tls: f.tls as "implicit" | "starttls" | "none",
                tlsVerify: f.tls !== "none",
                auth: { type: "password", user: f.user || f.address, password: f.password },
                folders: f.folders
                  .split(",")
                  .map((s) => s.trim())
                  .filter(Boolean),
              },
              { verify: true },
            );
            setError(null);
            setF({ ...f, password: "" });
            onAdded();
          } catch (e) {
            setError(e);
          }
        }}
      >
        Add mailbox
      </Action>
    </section>
  );
}

function MailboxRow({ session, row, onChanged }: { session: Session; row: Row; onChanged: () => void }) {
  const { mailbox: m, status } = row;
  const [test, setTest] = useState<MailboxTestResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const lock = lockReason(session, m.managed);
  return (
    <tr>
      <td>
        <strong>{m.address}</strong> <code>{m.id}</code> <ManagedBadge managed={m.managed} />
        <div class="muted">
          {m.host}:{m.port} · {m.tls}
        </div>
      </td>
      <td>
        {status ? <StateBadge state={status.state} /> : "…"}
        <ul class="tree">
          {(status?.folders ?? []).map((f) => (
            <li key={f.folder}>
              {f.folder}: <StateBadge state={f.state} /> <span class="muted">since {fmtTime(f.since)}</span>
              {f.owner && <span class="muted"> · watcher {f.owner}</span>}
              {f.lastError && <div class="bad">{f.lastError}</div>}
            </li>
          ))}
        </ul>
      </td>
      <td>
        <div class="row">
          <Action
            label={`Test connection of ${m.address}`}
            onClick={async () => {
              try {
                setTest(await session.client.mailboxes.test(m.id));
                setError(null);
              } catch (e) {
                setError(e);
              }
            }}
          >
            Test connection
          </Action>
          <Action
            label={`${m.enabled ? "Disable" : "Enable"} ${m.address}`}
            reason={lock}
            onClick={async () => {
              try {
                await session.client.mailboxes.update(m.id, { enabled: !m.enabled });
              } catch (e) {
                setError(e);
              }
              onChanged();
            }}
          >
            {m.enabled ? "Disable" : "Enable"}
          </Action>
        </div>
        {test && (
          <p role="status" class={test.ok ? "ok" : "bad"}>
            {test.ok
              ? `Connected in ${Math.round(test.ms)} ms; folders: ${test.folders.map((f) => f.path).join(", ")}`
              : `Failed${test.authFailed ? " (login refused)" : ""}: ${test.error}`}
          </p>
        )}
        <ErrorBox error={error} />
      </td>
    </tr>
  );
}

export function MailboxesPage({ session }: { session: Session }) {
  const load = async (): Promise<Row[]> => {
    const boxes: MailboxView[] = [];
    for await (const m of allPages((p) => session.client.mailboxes.list(p))) boxes.push(m);
    return Promise.all(
      boxes.map(async (mailbox) => ({
        mailbox,
        status: await session.client.mailboxes.status(mailbox.id).catch(() => null),
      })),
    );
  };
  const { data, error, reload } = useLoad(load);
  // Live states: the watcher writes every transition; the page polls it.
  useEffect(() => {
    const t = setInterval(reload, 3000);
    return () => clearInterval(t);
  }, [reload]);
  return (
    <>
      <section class="card">
        <h2>Mailboxes</h2>
        <ErrorBox error={error} />
        <table aria-label="Mailboxes">
          <thead>
            <tr>
              <th>mailbox</th>
              <th>folders</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {(data ?? []).map((r) => (
              <MailboxRow key={r.mailbox.id} session={session} row={r} onChanged={reload} />
            ))}
          </tbody>
        </table>
        {data && data.length === 0 && <p class="muted">No mailboxes yet.</p>}
      </section>
      <AddMailbox session={session} onAdded={reload} />
    </>
  );
}
