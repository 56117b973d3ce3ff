import { hostname } from "node:os";
import { z } from "zod";
import { tokenStrength } from "./token-strength.js";

const int = (def: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .optional()
    .transform((v) => v ?? def);

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const bool = (def: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? def : v === "true" || v === "1" || v === "yes"));

/**
 * Every environment variable mailhook reads, validated once at boot (docs/configuration.md lists
 * them). Nothing else in the code base reads process.env.
 */
const hostPorts = list.transform((l, ctx) => {
  const out: { host: string; port: number }[] = [];
  for (const item of l) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(item);
    if (!m) ctx.addIssue({ code: "custom", message: `"${item}" is not host:port` });
    else out.push({ host: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2]) });
  }
  return out;
});

export const Env = z.object({
  /** A single Redis (`redis://` or `rediss://`, credentials in the URL). Ignored when cluster nodes or sentinels are set. */
  REDIS_URL: z.string().url().default("redis://127.0.0.1:6379"),
  /** Redis Cluster: comma-separated `host:port` seed nodes (any few masters; the rest is discovered). */
  REDIS_CLUSTER_NODES: hostPorts,
  /** Redis Sentinel: comma-separated `host:port` sentinels, and the name of the monitored primary. */
  REDIS_SENTINELS: hostPorts,
  REDIS_SENTINEL_NAME: z.string().min(1).default("mymaster"),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  /** Credentials of the Cluster nodes or of the primary behind Sentinel (REDIS_URL carries its own). */
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  /** TLS to Cluster nodes / the Sentinel primary. */
  REDIS_TLS: bool(false),
  /**
   * Key prefix in Redis: several installations (or test runs) can share one Redis. It may hold one
   * hash tag (`{mh}`): then every key is in one Cluster slot (see docs/scaling.md).
   */
  MAILHOOK_PREFIX: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]*(\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*$/,
      "letters, digits, _ . - and at most one {tag}",
    )
    .min(1)
    .default("mh"),
  MAILHOOK_CONFIG: z.string().optional(),
  /**
   * Identifies this installation in Redis (`<prefix>:install`): a service refuses to start when the
   * prefix belongs to another installation. `npm start` generates one into .data/install-id.
   */
  MAILHOOK_INSTALL_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 letters, digits, - or _")
    .optional(),
  /** `kid:base64key[,kid:base64key…]`, first one current. 32-byte keys. */
  MAILHOOK_ENCRYPTION_KEYS: z.string().min(1, "is required (npm start generates one into .data/)"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),

  API_HOST: z.string().default("127.0.0.1"),
  API_PORT: int(8787),
  /** Bearer token that manages tenants and their tokens. Unset: no admin routes (401). */
  MAILHOOK_ADMIN_TOKEN: z
    .string()
    .min(32, "must be at least 32 characters")
    .superRefine((t, ctx) => {
      const s = tokenStrength(t);
      if (!s.ok)
        ctx.addIssue({
          code: "custom",
          message: `looks guessable (${s.problem}); use 32 random bytes, e.g. \`openssl rand -base64 32\`, or leave it unset under \`npm start\`, which generates one`,
        });
    })
    .optional(),
  /** Failed authentications per client address per window; over it answers 429 with Retry-After. */
  API_AUTH_FAILURE_LIMIT: int(20).refine((n) => n >= 1, "must be at least 1"),
  API_AUTH_FAILURE_WINDOW_MS: int(60_000).refine((n) => n >= 1000, "must be at least 1000"),
  /**
   * Comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For is believed. Empty
   * (default): the client address is the socket's, X-Forwarded-For is ignored.
   */
  API_TRUSTED_PROXIES: list,
  /** Default quotas per tenant; the operator overrides them per tenant (PATCH /v1/tenants/{id}/quotas). */
  QUOTA_MAILBOXES: int(100),
  QUOTA_FOLDERS: int(500),
  QUOTA_RULES: int(200),
  QUOTA_ENDPOINTS: int(50),
  /** Delivery records kept per tenant; past it the oldest finished ones are dropped. */
  QUOTA_DELIVERIES: int(100_000).refine((n) => n >= 1, "must be at least 1"),
  /** API requests per minute per tenant, over all its tokens. */
  QUOTA_API_PER_MINUTE: int(1_200).refine((n) => n >= 1, "must be at least 1"),
  /** Largest JSON body the API accepts (bytes); larger answers 413. */
  API_BODY_LIMIT_BYTES: int(1024 * 1024),
  /** Largest raw message POST /v1/rules/test accepts (bytes). */
  API_EML_LIMIT_BYTES: int(25 * 1024 * 1024),
  /** Requests per token per window; over it answers 429 with Retry-After. */
  API_RATE_LIMIT: int(600),
  API_RATE_WINDOW_MS: int(60_000),
  /**
   * Comma-separated addresses, CIDRs or host names, each with an optional port (`10.0.0.0/8`,
   * `127.0.0.1:1143`, `[::1]:993`, `imap.corp:993`), that IMAP servers may be on although they are
   * private. Checked by the API, the watcher and the worker at every connect.
   */
  IMAP_ALLOW: list,
  /** Refuse mailboxes with `tls: none` (at save and at connect). */
  IMAP_REQUIRE_TLS: bool(false),
  /** Refuse mailboxes with `tlsVerify: false` (at save and at connect). */
  IMAP_REQUIRE_TLS_VERIFY: bool(false),
  /**
   * DNS servers (`10.0.0.53`, `127.0.0.1:5353`, `[::1]:53`) the outbound policy asks for tenant
   * host names instead of the system resolver. Empty: getaddrinfo (/etc/hosts, search domains).
   */
  MAILHOOK_DNS_SERVERS: list,
  /** Comma-separated origins allowed by CORS. Empty (default): no CORS headers at all. */
  API_CORS_ORIGINS: list,

  /** watcher and worker: port of their /healthz and /readyz (container and Kubernetes probes). 0: off. */
  HEALTH_PORT: int(0),
  /** Address the health endpoints bind to (0.0.0.0 in a container or pod). */
  HEALTH_HOST: z.string().default("127.0.0.1"),

  WATCHER_ID: z.string().default(`${hostname()}-${process.pid}`),
  /** A replica silent this long loses its mailboxes (a dead one sooner: WATCHER_PRESENCE_CONFIRM_MS). */
  WATCHER_LEASE_TTL_MS: int(10_000).refine((n) => n >= 1_000, "must be at least 1000"),
  /** Most mailboxes one watcher replica owns; 0 = no limit (the live replicas share them evenly). */
  WATCHER_CAPACITY: int(0),
  /** How often a replica checks ownership against the live replicas (default: TTL/10, at most 1 s). */
  WATCHER_TICK_MS: z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= 50, "must be at least 50")
    .optional(),
  WATCHER_RECONCILE_MS: int(5_000),
  /**
   * On SIGTERM a replica with a stable WATCHER_ID keeps its place this long, so its mailboxes wait for
   * it to come back instead of moving away and back (0 = hand them over at once).
   */
  WATCHER_RESTART_GRACE_MS: int(0),
  /**
   * Fast failover: a replica whose presence subscription has been gone this long (its process
   * died) and whose heartbeat stopped is marked gone, and its mailboxes move at once instead of
   * after WATCHER_LEASE_TTL_MS. 0 = wait for the leases to expire.
   */
  WATCHER_PRESENCE_CONFIRM_MS: int(1_000),
  /** IMAP connections one replica sets up at once (connect to IDLE); the rest queue. */
  WATCHER_CONNECT_CONCURRENCY: int(128).refine((n) => n >= 1, "must be at least 1"),
  WATCHER_HEALTHCHECK_MS: int(60_000),
  WATCHER_NOOP_TIMEOUT_MS: int(15_000),
  WATCHER_RESELECT_MS: int(60_000),
  WATCHER_BACKOFF_BASE_MS: int(1_000),
  WATCHER_BACKOFF_CAP_MS: int(300_000),
  WATCHER_AUTH_BACKOFF_BASE_MS: int(30_000),

  /** mail.process jobs in flight per worker; jobs of one folder are coalesced into range FETCHes. */
  WORKER_CONCURRENCY: int(64),
  DELIVERY_CONCURRENCY: int(64),
  /** Worker IMAP connections per mailbox in one worker process (also bounded by IMAP_SESSIONS_PER_MAILBOX). */
  IMAP_POOL_SIZE: int(2).refine((n) => n >= 1, "must be at least 1"),
  /** Names this worker's IMAP session leases in Redis; unique among live workers. */
  WORKER_ID: z.string().min(1).max(200).default(`${hostname()}-${process.pid}`),
  /**
   * Worker IMAP sessions per mailbox across all worker replicas (leases in Redis); 0: no shared
   * budget (each worker bounded by IMAP_POOL_SIZE alone). Default 4: with the watcher's IDLE
   * connection per folder, a mailbox of up to 5 folders stays under Dovecot's 10 per user and IP.
   */
  IMAP_SESSIONS_PER_MAILBOX: int(4),
  /** A killed worker's session leases are free again after this long (renewed every third of it). */
  IMAP_SESSION_LEASE_MS: int(30_000).refine((n) => n >= 1_000, "must be at least 1000"),
  /** Budget full: forward a job to the live worker that holds the mailbox's sessions instead of deferring it. */
  IMAP_ROUTE_TO_HOLDER: bool(true),
  /** Worker IMAP: no answer to a command for this long and the pooled connection is replaced. */
  IMAP_COMMAND_TIMEOUT_MS: int(30_000),
  FETCH_TEXT_MAX_BYTES: int(256 * 1024),
  FETCH_HTML_MAX_BYTES: int(1024 * 1024),
  FETCH_ATTACHMENT_MAX_BYTES: int(10 * 1024 * 1024),
  /** Like IMAP_ALLOW, for webhook URLs and OAuth token endpoints. */
  WEBHOOK_ALLOW: list,
  /** Refuse http:// webhook and OAuth token endpoint URLs (at save and at every attempt). */
  WEBHOOK_REQUIRE_HTTPS: bool(false),
  /** Comma-separated delays in ms replacing the default retry schedule. */
  WEBHOOK_RETRY_SCHEDULE_MS: list.transform((l, ctx) => {
    const nums = l.map(Number);
    if (nums.some((n) => !Number.isInteger(n) || n < 0)) {
      ctx.addIssue({ code: "custom", message: "must be comma-separated whole milliseconds" });
    }
    return nums.length > 0 ? nums : undefined;
  }),
  WEBHOOK_CONNECT_TIMEOUT_MS: int(5_000),
  WEBHOOK_TIMEOUT_MS: int(15_000),
  /** BullMQ job lock: jobs of a worker that died are run again by another after about this long. */
  WORKER_JOB_LOCK_MS: int(30_000),
  /**
   * How long a worker keeps a mailbox, endpoint or the rules cached while change notices reach it
   * (edits through mailhook apply at once); only writes that bypass mailhook wait for it.
   */
  WORKER_CONFIG_CACHE_MS: int(300_000),
  /** Attempts in flight to one endpoint across all workers: a hanging endpoint holds at most this many. */
  WEBHOOK_ENDPOINT_CONCURRENCY: int(16).refine((n) => n >= 1, "must be at least 1"),
  /** Consecutive failed attempts to one endpoint that open its circuit breaker. */
  WEBHOOK_CIRCUIT_FAILURES: int(5).refine((n) => n >= 1, "must be at least 1"),
  /** How long an open circuit waits before one probe; doubled per failed probe up to the max. */
  WEBHOOK_CIRCUIT_OPEN_MS: int(30_000),
  WEBHOOK_CIRCUIT_MAX_OPEN_MS: int(10 * 60_000),
  /** How long finished delivery records (and the dead-letter list) are kept. */
  DELIVERY_RETENTION_HOURS: int(30 * 24).refine((n) => n >= 1, "must be at least 1"),
  /** `mail.act` jobs in flight per worker (they share the per-mailbox IMAP pool with fetches). */
  ACT_CONCURRENCY: int(8).refine((n) => n >= 1, "must be at least 1"),
  /** A move or copy to a missing folder creates it instead of failing permanently. */
  ACT_CREATE_FOLDERS: bool(false),
  /**
   * First webhook attempts run straight from mail.process, the delivery queue only for retries.
   * Off by default: it saves a queue hop on the latency path (delivery built → received p50 14 → 9 ms
   * under a 20/s stream) but its safety-net job costs more Redis work than a queued job (150 vs 130
   * commands per message; burst throughput 459–531 vs 619–643 msg/s, bench/throughput.ts).
   */
  WEBHOOK_INLINE_FIRST_ATTEMPT: bool(true),

  /** Rule cost (docs/rules.md, "Cost limits"): all/any/not groups and leaves per rule. */
  RULES_MAX_CONDITIONS: int(100).refine((n) => n >= 1, "must be at least 1"),
  /** Largest sum of counted repeats ({n}, {n,m}) in one pattern; `a.{100}a.{100}b` is 200. */
  RULES_MAX_REPEAT: int(100),
  /** Characters of one text value rules see (worker and dry run alike); longer values are cut. */
  RULES_MAX_FIELD_CHARS: int(256 * 1024).refine((n) => n >= 1, "must be at least 1"),
  /** Most time one rule may run on one message; a rule past it is stopped and reported. */
  RULES_EVAL_BUDGET_MS: int(1_000).refine((n) => n >= 10, "must be at least 10"),
  /** Regex work (program size × characters) one message's rules may do on the worker's event loop before the message goes to a thread; 0 = always a thread. */
  RULES_INLINE_REGEX_STEPS: int(50_000).refine((n) => n <= 1_000_000, "at most 1000000 (~90 ms per message)"),
  /** Threads evaluating rules with regexes, per worker or api process. */
  RULES_EVAL_THREADS: int(2).refine((n) => n >= 1, "must be at least 1"),
  /** Times a rule may run out of budget before it is suspended (until it is changed or re-enabled). */
  RULES_BUDGET_STRIKES: int(3).refine((n) => n >= 1, "must be at least 1"),
  /** Most rules one POST /v1/rules/test evaluates. */
  RULES_TEST_MAX_RULES: int(100).refine((n) => n >= 1, "must be at least 1"),
});
export type Env = z.infer<typeof Env>;

/** Parses the environment or exits with every problem listed (never echoing values: they may be secrets). */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const r = Env.safeParse(source);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
  throw new Error(`invalid environment:\n${lines.join("\n")}`);
}
