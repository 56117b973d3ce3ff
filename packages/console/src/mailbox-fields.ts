import type { MailboxCreateInput, MailboxUpdateInput, MailboxView } from "@mailhook/api-schema";

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
