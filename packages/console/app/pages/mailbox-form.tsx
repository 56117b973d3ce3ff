import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { MailboxFields } from "../../src/mailbox-fields.js";
import { Action, ErrorBox } from "../ui.js";

/** The mailbox fields and one submit button; the error of the last submit is shown under them. */
export function MailboxForm(props: {
  initial: MailboxFields;
  submitLabel: string;
  reason: string | null;
  passwordLabel: string;
  oauth?: boolean;
  onSubmit: (f: MailboxFields) => Promise<void>;
  children?: ComponentChildren;
}) {
  const [f, setF] = useState(props.initial);
  const [error, setError] = useState<unknown>(null);
  const field = (k: keyof MailboxFields, label: string, type = "text", disabled = false) => (
    <label>
      {label}
      <input
        type={type}
        value={f[k]}
        disabled={disabled}
        onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })}
      />
    </label>
  );
  return (
    <>
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
        {field("user", "User", "text", props.oauth === true)}
        {field("password", props.passwordLabel, "password", props.oauth === true)}
        {field("folders", "Folders (comma-separated)")}
      </div>
      <ErrorBox error={error} />
      <div class="row">
        <Action
          primary
          reason={props.reason}
          onClick={async () => {
            try {
              await props.onSubmit(f);
              setError(null);
              setF({ ...f, password: "" });
            } catch (e) {
              setError(e);
            }
          }}
        >
          {props.submitLabel}
        </Action>
        {props.children}
      </div>
    </>
  );
}
