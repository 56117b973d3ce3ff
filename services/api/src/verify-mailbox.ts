import {
  announcedSpecialUse,
  connectionOptions,
  describeError,
  describeErrorForTenant,
  isAuthFailure,
} from "@mailhook/imap";
import type { CheckedAddress } from "@mailhook/net";
import { ImapFlow } from "imapflow";

/** Where and how to log in, credentials in clear (only in memory, for this one login). */
export interface ProbeTarget {
  /** The address the outbound policy checked for `host` just now: the only one connected to. */
  dest: CheckedAddress;
  host: string;
  port: number;
  tls: "implicit" | "starttls" | "none";
  tlsVerify: boolean;
  user: string;
  auth: { type: "password"; password: string } | { type: "oauth2"; accessToken: string };
}

export interface ProbeResult {
  ok: boolean;
  folders: { path: string; specialUse: string | null }[];
  /** Credential-free reason the tenant may read (no addresses, no port oracle), null on success. */
  error: string | null;
  /** The operator's version of `error` (for the log; never in an API answer). */
  detail?: string | undefined;
  authFailed: boolean;
  ms: number;
}

export type MailboxProbe = (target: ProbeTarget) => Promise<ProbeResult>;

/**
 * Logs in (password or XOAUTH2) and lists the folders, then logs out. Used by
 * `POST /v1/mailboxes/{id}/test`, `?verify=true` and the SPECIAL-USE folder selection. The error
 * text comes from describeError, which never includes credentials; imapflow's own logging is off.
 */
/** An imapflow client for one short session: no IDLE, no logging, every wait bounded. */
export function shortSession(target: ProbeTarget, timeoutMs: number): ImapFlow {
  const { auth } = target;
  const client = new ImapFlow({
    ...connectionOptions(
      {
        ...target,
        password: auth.type === "password" ? auth.password : auth.accessToken,
        authMethod: auth.type === "password" ? "password" : "xoauth2",
      },
      target.dest,
    ),
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    clientInfo: { name: "mailhook" },
  });
  client.on("error", () => {});
  return client;
}

/** Runs `work` on a fresh session, logs out, and gives up after `timeoutMs` in total. */
export async function withSession<T>(
  target: ProbeTarget,
  timeoutMs: number,
  work: (client: ImapFlow) => Promise<T>,
): Promise<T> {
  const client = shortSession(target, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = (async () => {
      await client.connect();
      return work(client);
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const result = await Promise.race([run, timeout]);
    await client.logout().catch(() => {});
    return result;
  } catch (err) {
    client.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Logs in (password or XOAUTH2) and lists the folders, then logs out. Used by
 * `POST /v1/mailboxes/{id}/test`, `?verify=true` and the SPECIAL-USE folder selection. The error
 * text comes from describeError, which never includes credentials; imapflow's own logging is off.
 */
export function createImapProbe(timeoutMs = 15_000): MailboxProbe {
  return async (target) => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const folders = await withSession(target, timeoutMs, async (client) =>
        (await client.list()).map((f) => ({ path: f.path, specialUse: announcedSpecialUse(f) })),
      );
      return { ok: true, folders, error: null, authFailed: false, ms: ms() };
    } catch (err) {
      return {
        ok: false,
        folders: [],
        error: describeErrorForTenant(err),
        detail: describeError(err),
        authFailed: isAuthFailure(err),
        ms: ms(),
      };
    }
  };
}
