import { customHeaderProblem } from "@mailhook/webhook";
import { z } from "zod";

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Ids that appear in Redis keys, job ids and URLs: short, lower-case, no separators we use elsewhere. */
export const Slug = z
  .string()
  .regex(SLUG, "must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit");
export type Slug = z.infer<typeof Slug>;

// Values that came through `${VAR}` are strings; accept the obvious spellings so `port: ${IMAP_PORT}` works.
const Port = z.preprocess(
  (v) => (typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v),
  z.number().int().min(1, "must be a port number (1-65535)").max(65535, "must be a port number (1-65535)"),
);
const Flag = z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());

export const TlsMode = z.enum(["implicit", "starttls", "none"]);
export type TlsMode = z.infer<typeof TlsMode>;

const IsoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: "must be an ISO date (2024-01-31) or date-time with offset (2024-01-31T00:00:00Z)",
});

/** Where a newly added folder starts: only mail arriving from now on, everything, or mail since a date. */
export const StartFrom = z.union([z.literal("new"), z.literal("all"), z.strictObject({ since: IsoDate })], {
  error: 'must be "new", "all" or { since: <ISO date> }',
});
export type StartFrom = z.infer<typeof StartFrom>;

const Folders = z
  .array(z.string().min(1, "folder name must not be empty"))
  .min(1, "must list at least one folder")
  .superRefine((folders, ctx) => {
    const seen = new Set<string>();
    folders.forEach((f, i) => {
      if (seen.has(f)) ctx.addIssue({ code: "custom", path: [i], message: "folder listed twice" });
      seen.add(f);
    });
  });

const mailboxFields = z.strictObject({
  id: Slug.describe("Stable id; rules refer to it, cursors and job ids are keyed by it."),
  address: z.string().min(1).optional().describe("Display address for webhook payloads. Default: user."),
  host: z.string().min(1, "must not be empty").describe("IMAP server host name or IP."),
  port: Port.optional().describe("IMAP port. Default: 993 for tls implicit, 143 otherwise."),
  tls: TlsMode.default("implicit").describe("implicit (IMAPS), starttls, or none (loopback tests only)."),
  tlsVerify: Flag.default(true).describe("Verify the server certificate."),
  user: z.string().min(1, "must not be empty").describe("Login name."),
  password: z
    .string()
    .min(1, "must not be empty")
    .describe("Login password; take it from the environment, never commit it."),
  folders: Folders.default(["INBOX"]).describe("Folders to watch, one IDLE connection each."),
  trashFolder: z
    .string()
    .min(1, "must not be empty")
    .optional()
    .describe(
      "Where delete moves mail when the server flags no \\Trash folder (SPECIAL-USE), e.g. INBOX.Trash on Courier.",
    ),
  maxSessions: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(64, "must be at most 64")
    .optional()
    .describe(
      "Worker IMAP sessions at most for this mailbox across all workers; lowers IMAP_SESSIONS_PER_MAILBOX, never raises it.",
    ),
  start: StartFrom.default("new").describe(
    'Where a folder seen for the first time starts: "new", "all", or { since: <ISO date> }.',
  ),
  enabled: Flag.default(true).describe("false keeps the mailbox in the store without watching it."),
});

/** One IMAP account. `port` defaults from `tls` (993 implicit, 143 otherwise); `address` from `user`. */
export const MailboxConfig = mailboxFields.transform((m) => ({
  ...m,
  address: m.address ?? m.user,
  port: m.port ?? (m.tls === "implicit" ? 993 : 143),
}));
export type MailboxConfig = z.infer<typeof MailboxConfig>;

/**
 * Standard Webhooks secret: `whsec_` + base64 of at least 24 random bytes (the spec suggests 24-64). Checked here so a typo fails at
 * start instead of producing signatures no receiver can verify.
 */
export const WebhookSecret = z.string().refine(isWebhookSecret, {
  error: "must be whsec_ followed by base64 of at least 24 bytes (e.g. `openssl rand -base64 32`)",
});

export function isWebhookSecret(s: string): boolean {
  if (!s.startsWith("whsec_")) return false;
  const b64 = s.slice("whsec_".length);
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
  return Buffer.from(b64, "base64").length >= 24;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const Headers = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name))
      ctx.addIssue({ code: "custom", path: [name], message: "not a valid HTTP header name" });
    else if (customHeaderProblem(name))
      ctx.addIssue({ code: "custom", path: [name], message: customHeaderProblem(name) ?? "" });
    // Header values are often secrets (Authorization), so the reason never repeats the value.
    else if (/[\r\n\0]/.test(headers[name] ?? ""))
      ctx.addIssue({ code: "custom", path: [name], message: "header value must not contain line breaks" });
  }
});

/** A webhook receiver. Without `secret` the store generates one when it seeds the endpoint. */
export const EndpointConfig = z.strictObject({
  id: Slug.describe("Stable id; rules refer to it in webhook actions."),
  url: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .describe("Where deliveries are POSTed."),
  secret: WebhookSecret.optional().describe(
    "Standard Webhooks secret: whsec_ + base64 of >= 24 random bytes. Generated when absent.",
  ),
  headers: Headers.default({}).describe("Extra request headers (not webhook-*, content-type, host)."),
  enabled: Flag.default(true).describe("false pauses deliveries to this endpoint."),
});
export type EndpointConfig = z.infer<typeof EndpointConfig>;

/** The whole mailhook.yaml. Rules are validated separately by @mailhook/rules (they own that schema). */
export const MailhookConfig = z.strictObject({
  version: z
    .literal(1, { error: "must be 1 (the only config format so far)" })
    .describe("Format version: 1."),
  tenant: Slug.default("default").describe("Tenant the file's resources belong to."),
  mailboxes: z.array(MailboxConfig).default([]).describe("IMAP accounts to watch."),
  endpoints: z.array(EndpointConfig).default([]).describe("Webhook receivers."),
  rules: z.array(z.unknown()).default([]).describe("Rules (validated by @mailhook/rules); ids required."),
});
export type MailhookConfig = z.infer<typeof MailhookConfig>;
