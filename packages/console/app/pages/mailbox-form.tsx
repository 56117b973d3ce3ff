import type { MailboxCreateInput, MailboxUpdateInput, MailboxView } from "@mailhook/api-schema";
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Action, ErrorBox } from "../ui.js";

/** The form's fields, as typed (strings). */
export interface MailboxFields {
  address: string;
  host: string;
  port: string;
  tls: string;
  user: string;
  password: string;
  folders: string;
}

export const EMPTY_MAILBOX: MailboxFields = {
  address: "",
  host: "",
  port: "993",
  tls: "implicit",
  user: "",
  password: "",
  folders: "INBOX",
};

export function fieldsOf(m: MailboxView): MailboxFields {
  return {
    address: m.address,
    host: m.host,
    port: String(m.port),
    tls: m.tls,
    user: m.auth.user,
    password: "",
    folders: m.folders.join(", "),
  };
}

const folderList = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
const tlsOf = (s: string) => s as "implicit" | "starttls" | "none";

export function createBody(f: MailboxFields): MailboxCreateInput {
  return {
    address: f.address,
    host: f.host,
    port: Number(f.port),
    tls: tlsOf(f.tls),
    tlsVerify: f.tls !== "none",
    auth: { type: "password", user: f.user || f.address, password: f.password },
    folders: folderList(f.folders),
  };
}

/**
 * Only what changed. The password is never shown; left empty it stays as stored, and a changed
 * user needs it (the login is user and password together). OAuth2 logins are not edited here.
 */
export function updateBody(m: MailboxView, f: MailboxFields): MailboxUpdateInput {
  const was = fieldsOf(m);
  const body: MailboxUpdateInput = {};
  if (f.address !== was.address) body.address = f.address;
  if (f.host !== was.host) body.host = f.host;
  if (f.port !== was.port) body.port = Number(f.port);
  if (f.tls !== was.tls) {
    body.tls = tlsOf(f.tls);
    body.tlsVerify = f.tls !== "none";
  }
  if (f.folders !== was.folders) body.folders = folderList(f.folders);
  if (m.auth.type === "password" && (f.password !== "" || f.user !== was.user)) {
    if (f.password === "") throw new Error("enter the password to change the user: the login needs both");
    body.auth = { type: "password", user: f.user, password: f.password };
  }
  return body;
}

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
