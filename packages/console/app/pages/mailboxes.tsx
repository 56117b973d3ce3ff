import type { MailboxStatus, MailboxTestResult, MailboxView } from "@mailhook/api-schema";
import { allPages } from "@mailhook/client";
import { useEffect, useState } from "preact/hooks";
import { createBody, EMPTY_MAILBOX, fieldsOf, updateBody } from "../../src/mailbox-fields.js";
import { lockReason, type Session } from "../session.js";
import { Action, ErrorBox, fmtTime, ManagedBadge, StateBadge, useLoad } from "../ui.js";
import { MailboxForm } from "./mailbox-form.js";

interface Row {
  mailbox: MailboxView;
  status: MailboxStatus | null;
}

function AddMailbox({ session, onAdded }: { session: Session; onAdded: () => void }) {
  return (
    <section class="card" aria-label="Add a mailbox">
      <h2>Add a mailbox</h2>
      <p class="muted">The server logs in first; if it cannot, nothing is saved and its answer is shown.</p>
      <MailboxForm
        initial={EMPTY_MAILBOX}
        submitLabel="Add mailbox"
        passwordLabel="Password"
        reason={session.readOnlyReason}
        onSubmit={async (f) => {
          await session.client.mailboxes.create(createBody(f), { verify: true });
          onAdded();
        }}
      />
    </section>
  );
}

/** Edit a saved mailbox: the server logs in with the new settings first; a refusal saves nothing. */
function EditMailbox(props: {
  session: Session;
  mailbox: MailboxView;
  onDone: (saved: MailboxView | null) => void;
}) {
  const m = props.mailbox;
  return (
    <section class="card" aria-label={`Edit mailbox ${m.address}`}>
      <h2>
        Edit <code>{m.id}</code>
      </h2>
      <p class="muted">
        {m.auth.type === "oauth2"
          ? "Signs in with OAuth2: the login is changed through the API, not here. "
          : "Leave the password empty to keep it. "}
        Saving logs in with the new settings first; if the server refuses, nothing changes and its answer is
        shown.
      </p>
      <MailboxForm
        initial={fieldsOf(m)}
        submitLabel="Test and save"
        passwordLabel="Password (empty: keep)"
        oauth={m.auth.type === "oauth2"}
        reason={lockReason(props.session, m.managed)}
        onSubmit={async (f) => {
          props.onDone(await props.session.client.mailboxes.update(m.id, updateBody(m, f), { verify: true }));
        }}
      >
        <button type="button" onClick={() => props.onDone(null)}>
          Cancel
        </button>
      </MailboxForm>
    </section>
  );
}

function MailboxRow(props: { session: Session; row: Row; onChanged: () => void; onEdit: () => void }) {
  const { session, row, onChanged } = props;
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
          <Action label={`Edit ${m.address}`} reason={lock} onClick={props.onEdit}>
            Edit
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
  const [editing, setEditing] = useState<string | null>(null);
  const edited = data?.find((r) => r.mailbox.id === editing)?.mailbox;
  const [saved, setSaved] = useState<string | null>(null);
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
              <MailboxRow
                key={r.mailbox.id}
                session={session}
                row={r}
                onChanged={reload}
                onEdit={() => {
                  setSaved(null);
                  setEditing(r.mailbox.id);
                }}
              />
            ))}
          </tbody>
        </table>
        {data && data.length === 0 && <p class="muted">No mailboxes yet.</p>}
        {saved && (
          <p class="ok" role="status">
            {saved}
          </p>
        )}
      </section>
      {edited && (
        <EditMailbox
          key={edited.id}
          session={session}
          mailbox={edited}
          onDone={(saved) => {
            setEditing(null);
            if (saved) setSaved(`Saved ${saved.address}: the server accepted the login.`);
            reload();
          }}
        />
      )}
      <AddMailbox session={session} onAdded={reload} />
    </>
  );
}
