import { z } from "zod";
import { Sealed } from "./secret-box.js";

export const TlsMode = z.enum(["implicit", "starttls", "none"]);
export type TlsMode = z.infer<typeof TlsMode>;

export const StartPosition = z.union([z.literal("new"), z.literal("all"), z.object({ since: z.string() })]);
export type StartPosition = z.infer<typeof StartPosition>;

const Managed = z.enum(["file", "api"]);

/** Largest per-mailbox `maxSessions` anyone may set (the operator's budget bounds it further). */
export const MAX_SESSIONS_PER_MAILBOX = 64;

/** A mailbox as the services use it (password in clear, only ever in memory). */
export interface Mailbox {
  tenantId: string;
  id: string;
  address: string;
  host: string;
  port: number;
  tls: TlsMode;
  tlsVerify: boolean;
  user: string;
  /** The password, or for `xoauth2` the current OAuth2 access token (kept fresh by the API's refresher). */
  password: string;
  /** How `password` is used to log in. Absent means "password" (records written before OAuth2). */
  authMethod?: "password" | "xoauth2" | undefined;
  folders: string[];
  /** Where `delete` moves mail when the server flags no `\Trash` folder (SPECIAL-USE). */
  trashFolder?: string | undefined;
  /** Worker IMAP sessions at most for this mailbox; lowers IMAP_SESSIONS_PER_MAILBOX, never raises it. */
  maxSessions?: number | undefined;
  start: StartPosition;
  enabled: boolean;
  managed: "file" | "api";
  updatedAt: string;
}

/** A mailbox as stored: the password sealed. */
export const StoredMailbox = z.object({
  tenantId: z.string(),
  id: z.string(),
  address: z.string(),
  host: z.string(),
  port: z.number().int(),
  tls: TlsMode,
  tlsVerify: z.boolean(),
  user: z.string(),
  password: Sealed,
  authMethod: z.enum(["password", "xoauth2"]).optional(),
  folders: z.array(z.string()).min(1),
  trashFolder: z.string().min(1).optional(),
  maxSessions: z.number().int().min(1).max(MAX_SESSIONS_PER_MAILBOX).optional(),
  start: StartPosition,
  enabled: z.boolean(),
  managed: Managed,
  updatedAt: z.string(),
});
export type StoredMailbox = z.infer<typeof StoredMailbox>;

export interface Endpoint {
  tenantId: string;
  id: string;
  url: string;
  /** Active signing secrets, newest first; several during a rotation overlap. */
  secrets: string[];
  /** Secrets replaced by a rotation, still signed with until `expiresAt` (see `signingSecrets`). */
  retiring?: RetiringSecret[];
  headers: Record<string, string>;
  enabled: boolean;
  disabledReason: string | null;
  managed: "file" | "api";
  updatedAt: string;
}

export interface RetiringSecret {
  secret: string;
  /** ISO-8601; from then on requests carry no signature made with this secret. */
  expiresAt: string;
}

export const StoredEndpoint = z.object({
  tenantId: z.string(),
  id: z.string(),
  url: z.string(),
  secrets: z.array(Sealed).min(1),
  retiring: z.array(z.object({ secret: Sealed, expiresAt: z.string() })).optional(),
  /** Custom headers as JSON, sealed: their values are often credentials (`Authorization: Bearer …`). */
  sealedHeaders: Sealed.optional(),
  /** Custom headers in clear, as records written before they were sealed hold them (read, never written). */
  headers: z.record(z.string(), z.string()).optional(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  managed: Managed,
  updatedAt: z.string(),
});
export type StoredEndpoint = z.infer<typeof StoredEndpoint>;

export const Cursor = z.object({
  uidValidity: z.number().int().nonnegative(),
  lastUid: z.number().int().nonnegative(),
  /** When a SELECT last confirmed this UIDVALIDITY (ms). Mail that arrived in a new generation after
   * it is new; mail with an older arrival date is restored or moved mail and is not replayed. */
  verifiedAt: z.number().int().nonnegative().optional(),
});
export type Cursor = z.infer<typeof Cursor>;

export const FolderState = z.enum(["connecting", "connected", "auth-failed", "error", "stopped"]);
export type FolderState = z.infer<typeof FolderState>;

export const FolderStatus = z.object({
  state: FolderState,
  lastError: z.string().nullable(),
  /** When the folder entered this state. */
  since: z.string(),
  idleSince: z.string().nullable(),
  lastEventAt: z.string().nullable(),
  owner: z.string().nullable(),
});
export type FolderStatus = z.infer<typeof FolderStatus>;

export const DeliveryAttempt = z.object({
  at: z.string(),
  status: z.number().int().nullable(),
  latencyMs: z.number(),
  error: z.string().nullable(),
  responsePreview: z.string(),
  retryAfterMs: z.number().nullable(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

export const DeliveryStatus = z.enum(["pending", "delivered", "failed", "dead"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/**
 * IMAP actions of the same rule that wait for this delivery (ack-then-act). Every delivery of the
 * rule for the message carries the same follow-up; whichever is delivered last enqueues it.
 */
export const FollowUp = z.object({
  /** The `mail.act` job id (deterministic, so two deliveries finishing together enqueue it once). */
  jobId: z.string(),
  /** The `mail.act` job payload, validated by the queue when it is enqueued. */
  data: z.record(z.string(), z.unknown()),
  /** Every delivery that must be delivered before the actions run (this one included). */
  after: z.array(z.string()),
  /**
   * waiting → enqueued → done; skipped when one of `after` failed or was dead-lettered; failed when
   * the actions themselves failed for good (missing folder, no Trash, retries used up).
   */
  state: z.enum(["waiting", "enqueued", "done", "skipped", "failed"]),
  reason: z.string().nullable(),
});
export type FollowUp = z.infer<typeof FollowUp>;

export const DeliveryRecord = z.object({
  id: z.string(),
  tenantId: z.string(),
  endpointId: z.string(),
  ruleId: z.string(),
  mailboxId: z.string(),
  folder: z.string(),
  uidValidity: z.number().int(),
  uid: z.number().int(),
  messageKey: z.string(),
  status: DeliveryStatus,
  /** The exact JSON body: built once, so every retry (and a replay) sends the same bytes and webhook-id. */
  body: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** When the watcher first saw the message (ms): end-to-end latency is measured from here. */
  seenAt: z.number(),
  attempts: z.array(DeliveryAttempt),
  lastError: z.string().nullable(),
  /** How many times the delivery was replayed after it failed or was dead-lettered. */
  replays: z.number().int().nonnegative().optional(),
  /** Attempts made before the latest replay: the retry schedule starts afresh after them. */
  attemptOffset: z.number().int().nonnegative().optional(),
  followUps: z.array(FollowUp).optional(),
  /**
   * `fetch`: the message could not be fetched from IMAP even on its own, so no payload exists
   * (`body` is empty, `lastError` holds the server's answer). mail.process keeps retrying it; when
   * a retry succeeds, the real delivery replaces this record.
   */
  stage: z.literal("fetch").optional(),
});
export type DeliveryRecord = z.infer<typeof DeliveryRecord>;

export const MailboxEvent = z.object({
  at: z.string(),
  tenantId: z.string(),
  mailboxId: z.string(),
  folder: z.string(),
  type: z.enum([
    "uidvalidity.changed",
    "auth.failed",
    "connection.lost",
    "rule.budget-exceeded",
    "cursor.repaired",
  ]),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
});
export type MailboxEvent = z.infer<typeof MailboxEvent>;

/**
 * The secrets a request is signed with at `now`: the active ones, then retired ones still inside
 * their overlap window. Each yields one `v1,` signature.
 */
export function signingSecrets(
  e: Pick<Endpoint, "secrets" | "retiring">,
  now: number = Date.now(),
): string[] {
  const retiring = (e.retiring ?? []).filter((r) => Date.parse(r.expiresAt) > now).map((r) => r.secret);
  return [...e.secrets, ...retiring.filter((s) => !e.secrets.includes(s))];
}
