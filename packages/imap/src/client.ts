import type { Logger } from "@mailhook/log";
import { type CheckedAddress, describeConnectError, type OutboundPolicy } from "@mailhook/net";
import { ImapFlow, type ImapFlowOptions } from "imapflow";

/** Where and how to log in: the connection-relevant part of a mailbox. */
export interface ImapTarget {
  host: string;
  port: number;
  tls: "implicit" | "starttls" | "none";
  tlsVerify: boolean;
  user: string;
  /** Password, or the OAuth2 access token when `authMethod` is "xoauth2". */
  password: string;
  authMethod?: "password" | "xoauth2" | undefined;
}

export interface ClientOptions {
  log: Logger;
  /**
   * IDLE connections re-enter IDLE immediately after each of mailhook's own commands. imapflow's
   * default waits 15 s, which leaves the connection deaf to new mail after every command: the
   * pitfall measured in design.md.
   */
  idle: boolean;
  /**
   * Skip imapflow's `ENABLE CONDSTORE UTF8=ACCEPT IMAP4rev2` after login: one round trip less per
   * connect for sessions that use none of them (the watcher: SELECT, UID SEARCH, STATUS, IDLE).
   * Folder names then travel in modified UTF-7, which every IMAP4rev1 server understands.
   */
  noEnable?: boolean;
  connectTimeoutMs?: number;
  /** Restart IDLE before servers drop it (RFC 2177 allows 30 minutes; we stay well below). */
  maxIdleMs?: number;
  /**
   * No byte from the server for this long while a command waits for its answer: the connection is
   * presumed dead and closed (imapflow's socketTimeout; its default is 5 minutes).
   */
  socketTimeoutMs?: number;
}

/**
 * imapflow logs through this adapter: its chatter goes to debug, never the raw protocol.
 *
 * imapflow asks `isLevelEnabled` before it serialises a command or a server response for its log,
 * and without the method it takes every level it has a method for as enabled: then each command
 * and each tagged answer was compiled into a log line that the no-op `debug` threw away. Its
 * debug and trace entries are never kept here, the others only when mailhook's own log is at debug.
 */
export function adaptLogger(log: Logger) {
  const strip = (o: unknown) => {
    if (o && typeof o === "object") {
      const { msg, src: _src, cid, ...rest } = o as Record<string, unknown>;
      return { msg: typeof msg === "string" ? msg : "imap", cid, ...pickSafe(rest) };
    }
    return { msg: String(o) };
  };
  return {
    isLevelEnabled: (level: string) => level !== "debug" && level !== "trace" && log.isLevelEnabled("debug"),
    debug: () => {},
    info: (o: unknown) => {
      const e = strip(o);
      log.debug({ imap: e }, e.msg);
    },
    warn: (o: unknown) => {
      const e = strip(o);
      log.debug({ imap: e }, e.msg);
    },
    error: (o: unknown) => {
      const e = strip(o);
      log.debug({ imap: e }, e.msg);
    },
  };
}

/** Only scalar diagnostic fields pass: never credentials or message data. */
function pickSafe(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ["err", "code", "command", "state", "host", "port"]) {
    const v = o[key];
    if (v === undefined) continue;
    out[key] = v instanceof Error ? v.message : typeof v === "object" ? undefined : v;
  }
  return out;
}

/** A mailbox's host was refused by the outbound policy; `message` is safe to show its tenant. */
export class DestinationRefused extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "DestinationRefused";
  }
}

/**
 * Asks the outbound policy about a mailbox's server right before a connection: the answer is the
 * one address that connection may use. Refusals are logged in full and thrown with the tenant-safe
 * text.
 */
export async function checkImapTarget(
  policy: OutboundPolicy,
  target: ImapTarget & { tenantId?: string | undefined },
  log: Logger,
): Promise<CheckedAddress> {
  const v = await policy.checkImap(target, { tenantId: target.tenantId });
  if (v.ok) return v;
  log.warn({ reason: v.reason, code: v.code }, "imap destination refused");
  throw new DestinationRefused(v.message, v.code);
}

/**
 * The connection part of imapflow's options: the socket goes to the checked address (no DNS
 * lookup in imapflow or node:net), TLS keeps the mailbox's host name for SNI and the certificate.
 */
export function connectionOptions(
  target: ImapTarget,
  dest: CheckedAddress,
): Pick<ImapFlowOptions, "host" | "port" | "servername" | "secure" | "doSTARTTLS" | "tls" | "auth"> {
  const sni = dest.servername ? { servername: dest.servername } : {};
  return {
    host: dest.address,
    port: dest.port,
    ...sni,
    secure: target.tls === "implicit",
    doSTARTTLS: target.tls === "starttls" ? true : target.tls === "none" ? false : undefined,
    tls: { rejectUnauthorized: target.tlsVerify, ...sni },
    auth:
      target.authMethod === "xoauth2"
        ? { user: target.user, accessToken: target.password }
        : { user: target.user, pass: target.password },
  };
}

/** An imapflow client connecting to `dest`, the address checkImapTarget answered for `target`. */
export function createClient(target: ImapTarget, dest: CheckedAddress, opts: ClientOptions): ImapFlow {
  return new ImapFlow({
    ...connectionOptions(target, dest),
    logger: adaptLogger(opts.log),
    disableAutoIdle: !opts.idle,
    ...(opts.noEnable ? { disableAutoEnable: true } : {}),
    autoIdleDelay: opts.idle ? 0 : undefined,
    maxIdleTime: opts.idle ? (opts.maxIdleMs ?? 25 * 60_000) : undefined,
    connectionTimeout: opts.connectTimeoutMs ?? 30_000,
    greetingTimeout: opts.connectTimeoutMs ?? 30_000,
    clientInfo: { name: "mailhook" },
    ...(opts.socketTimeoutMs ? { socketTimeout: opts.socketTimeoutMs } : {}),
  });
}

/** True when an imapflow error means the credentials were refused (retrying soon will not help). */
export function isAuthFailure(err: unknown): boolean {
  if (!err || typeof err !== "object") return false;
  const e = err as { authenticationFailed?: boolean; name?: string; serverResponseCode?: string };
  return (
    e.authenticationFailed === true ||
    e.name === "AuthenticationFailure" ||
    e.serverResponseCode === "AUTHENTICATIONFAILED"
  );
}

/**
 * What a tenant may read about a failed IMAP connection (folder status, mailbox test): the policy's
 * refusal, "authentication failed", the server's own answer to a command, or "connection failed"
 * for everything before the server's greeting — the same words for a closed, filtered or
 * non-IMAP port, and never an address. describeError is the operator's version.
 */
export function describeErrorForTenant(err: unknown): string {
  if (err instanceof DestinationRefused) return err.message;
  if (isAuthFailure(err)) return "authentication failed: the server refused the credentials";
  const e = (err ?? {}) as { responseText?: string; responseStatus?: string; code?: string };
  // Only an IMAP server answers a command with a status: the connection got past the greeting.
  if (typeof e.responseText === "string" && e.responseStatus)
    return `the server answered ${e.responseStatus}: ${e.responseText.slice(0, 200)}`;
  return describeConnectError(err);
}

/** A short, credential-free description of an IMAP error for the operator's logs. */
export function describeError(err: unknown): string {
  if (!err || typeof err !== "object") return String(err);
  const e = err as { message?: string; responseText?: string; code?: string };
  const parts = [e.message ?? "error"];
  if (e.responseText && e.responseText !== e.message) parts.push(e.responseText);
  if (e.code) parts.push(`(${e.code})`);
  return parts.join(": ");
}
