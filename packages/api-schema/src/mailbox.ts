import { z } from "@hono/zod-openapi";

const Host = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]_-]+$/, "a host name or IP address");

export const PasswordAuth = z
  .strictObject({
    type: z.literal("password"),
    user: z.string().min(1).max(320),
    password: z.string().min(1).max(1024),
  })
  .openapi("PasswordAuth");

export const OAuth2Auth = z
  .strictObject({
    type: z.literal("oauth2"),
    user: z.string().min(1).max(320),
    /** XOAUTH2 access token; optional when a refresh token and token endpoint are given. */
    accessToken: z.string().min(1).max(8192).optional(),
    /** Seconds until accessToken expires (from the provider's expires_in). */
    expiresIn: z.number().int().positive().max(31_536_000).optional(),
    refreshToken: z.string().min(1).max(8192).optional(),
    tokenEndpoint: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    clientId: z.string().min(1).max(500).optional(),
    clientSecret: z.string().min(1).max(2000).optional(),
    scope: z.string().max(2000).optional(),
  })
  .refine((a) => a.accessToken !== undefined || (a.refreshToken && a.tokenEndpoint && a.clientId), {
    message: "give accessToken, or refreshToken with tokenEndpoint and clientId",
  })
  .refine((a) => a.refreshToken === undefined || (a.tokenEndpoint && a.clientId), {
    message: "refreshToken needs tokenEndpoint and clientId",
  })
  .openapi("OAuth2Auth");

export const MailboxAuth = z.discriminatedUnion("type", [PasswordAuth, OAuth2Auth]).openapi("MailboxAuth");
export type MailboxAuth = z.infer<typeof MailboxAuth>;

const SpecialUse = z.enum(["\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"]);

/** Folder names, or every folder except those with the listed SPECIAL-USE attributes. */
export const FolderSelection = z
  .union([
    z.array(z.string().min(1).max(1000)).min(1).max(200),
    z.strictObject({
      all: z.literal(true),
      exclude: z.array(SpecialUse).default(["\\Junk", "\\Trash", "\\Sent", "\\Drafts", "\\All"]),
    }),
  ])
  .openapi("FolderSelection", {
    description:
      'Folder names to watch, or `{ "all": true, "exclude": [...] }`: every folder the server lists except those with these SPECIAL-USE attributes (resolved when saved; needs a login).',
  });

export const StartPosition = z
  .union([z.literal("new"), z.literal("all"), z.strictObject({ since: z.iso.datetime({ offset: true }) })])
  .openapi("StartPosition", {
    description:
      '"new": only mail arriving from now on; "all": every message; { since }: messages that arrived after this time',
  });

const TrashFolder = z.string().min(1).max(1000).openapi({
  description:
    "Where `delete` moves mail when the server flags no folder \\Trash (SPECIAL-USE), e.g. `INBOX.Trash` on Courier. Without it such a `delete` fails; mailhook never guesses a folder by name. `null` in an update clears it.",
});

const MaxSessions = z.number().int().min(1).max(64).openapi({
  description:
    "Worker IMAP sessions at most for this mailbox across all workers (for a server with a low per-user connection limit). Lowers the operator's `IMAP_SESSIONS_PER_MAILBOX`, never raises it. `null` in an update clears it.",
});

export const TlsMode = z.enum(["implicit", "starttls", "none"]);

export const MailboxCreate = z
  .strictObject({
    address: z
      .string()
      .min(3)
      .max(320)
      .regex(/^[^\s@]+@[^\s@]+$/, "an e-mail address"),
    host: Host,
    port: z.number().int().min(1).max(65_535).default(993),
    tls: TlsMode.default("implicit"),
    tlsVerify: z
      .boolean()
      .default(true)
      .openapi({ description: "Verify the server certificate (on by default)" }),
    auth: MailboxAuth,
    folders: FolderSelection.default(["INBOX"]),
    trashFolder: TrashFolder.optional(),
    maxSessions: MaxSessions.optional(),
    start: StartPosition.default("new"),
    enabled: z.boolean().default(true),
  })
  .openapi("MailboxCreate");
export type MailboxCreate = z.infer<typeof MailboxCreate>;

export const MailboxUpdate = z
  .strictObject({
    address: MailboxCreate.shape.address.optional(),
    host: Host.optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    tls: TlsMode.optional(),
    tlsVerify: z.boolean().optional(),
    auth: MailboxAuth.optional(),
    folders: FolderSelection.optional(),
    trashFolder: TrashFolder.nullable().optional(),
    maxSessions: MaxSessions.nullable().optional(),
    start: StartPosition.optional(),
    enabled: z.boolean().optional(),
  })
  .openapi("MailboxUpdate");
export type MailboxUpdate = z.infer<typeof MailboxUpdate>;

/** A mailbox as the API shows it: never a password, access token, refresh token or client secret. */
export const MailboxView = z
  .object({
    id: z.string(),
    address: z.string(),
    host: z.string(),
    port: z.number().int(),
    tls: TlsMode,
    tlsVerify: z.boolean(),
    auth: z.union([
      z.object({ type: z.literal("password"), user: z.string() }),
      z.object({
        type: z.literal("oauth2"),
        user: z.string(),
        tokenEndpoint: z.string().nullable(),
        clientId: z.string().nullable(),
        scope: z.string().nullable(),
        hasRefreshToken: z.boolean(),
        accessTokenExpiresAt: z.string().nullable(),
      }),
    ]),
    folders: z.array(z.string()),
    trashFolder: z.string().optional(),
    maxSessions: z.number().int().optional(),
    start: StartPosition,
    enabled: z.boolean(),
    managed: z.enum(["file", "api"]),
    updatedAt: z.string(),
  })
  .openapi("Mailbox");
export type MailboxView = z.infer<typeof MailboxView>;

export const FolderStatusView = z
  .object({
    folder: z.string(),
    state: z.enum(["connecting", "connected", "auth-failed", "error", "stopped", "unknown"]),
    lastError: z.string().nullable(),
    since: z.string().nullable(),
    idleSince: z.string().nullable(),
    lastEventAt: z.string().nullable(),
    owner: z.string().nullable(),
    cursor: z.object({ uidValidity: z.number(), lastUid: z.number() }).nullable(),
  })
  .openapi("FolderStatus");
export type FolderStatusView = z.infer<typeof FolderStatusView>;

export const MailboxStatus = z
  .object({
    mailboxId: z.string(),
    /** The worst state over the folders: one failing folder makes the mailbox not healthy. */
    state: z.enum(["connected", "connecting", "auth-failed", "error", "stopped", "disabled", "unknown"]),
    folders: z.array(FolderStatusView),
  })
  .openapi("MailboxStatus");
export type MailboxStatus = z.infer<typeof MailboxStatus>;

export const MailboxTestResult = z
  .object({
    ok: z.boolean(),
    /** Folders the server lists, with their SPECIAL-USE attribute when it has one. */
    folders: z.array(z.object({ path: z.string(), specialUse: z.string().nullable() })),
    error: z.string().nullable(),
    authFailed: z.boolean(),
    ms: z.number(),
  })
  .openapi("MailboxTestResult");
export type MailboxTestResult = z.infer<typeof MailboxTestResult>;

/** Request bodies as a client writes them (defaults may be left out). */
export type MailboxCreateInput = z.input<typeof MailboxCreate>;
export type MailboxUpdateInput = z.input<typeof MailboxUpdate>;
