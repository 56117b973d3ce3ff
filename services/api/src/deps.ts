import type { Logger } from "@mailhook/log";
import type { FetchLimits } from "@mailhook/model";
import type { OutboundPolicy } from "@mailhook/net";
import type { Producer } from "@mailhook/queue";
import type { RulePool, RulePoolOptions } from "@mailhook/rule-pool";
import type { RuleLimits } from "@mailhook/rules";
import type { Quotas, RedisClient, SecretBox, Store } from "@mailhook/store";
import type { MailboxProbe } from "./verify-mailbox.js";

export interface ApiLimits {
  /** Largest JSON body accepted (bytes). */
  bodyBytes: number;
  /** Largest message/rfc822 body of POST /v1/rules/test (bytes); its JSON form gets bodyBytes. */
  emlBytes: number;
  /** Most rules one POST /v1/rules/test evaluates. */
  testMaxRules: number;
  /** Requests per token per window. */
  ratePerWindow: number;
  rateWindowMs: number;
  /** Failed authentications per client address per window. */
  authFailuresPerWindow: number;
  authFailureWindowMs: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  bodyBytes: 1024 * 1024,
  emlBytes: 25 * 1024 * 1024,
  testMaxRules: 100,
  ratePerWindow: 600,
  rateWindowMs: 60_000,
  authFailuresPerWindow: 20,
  authFailureWindowMs: 60_000,
};

export interface ApiDeps {
  redis: RedisClient;
  store: Store;
  /** The Redis key prefix the store was built with (the API keeps its own records beside it). */
  prefix: string;
  secrets: SecretBox;
  log: Logger;
  /** MAILHOOK_ADMIN_TOKEN; null disables every admin route (401). */
  adminToken: string | null;
  /** Number of live workers per queue (BullMQ tracks them by client name). */
  workerCounts: () => Promise<Record<string, number>>;
  /** Jobs per queue and state, for /metrics. */
  jobCounts?: () => Promise<Record<string, Record<string, number>>>;
  /**
   * The outbound policy (runtime.outbound): webhook URLs, IMAP hosts and token endpoints are checked
   * by it on save, and every connection the API makes (verify, test, dry run, token refresh) goes
   * to the address it checked.
   */
  outbound: OutboundPolicy;
  limits?: Partial<ApiLimits>;
  /** Default quotas per tenant (env); the operator overrides them per tenant through the admin API. */
  quotas?: Partial<Quotas>;
  /** Reverse proxies whose X-Forwarded-For names the client (API_TRUSTED_PROXIES); absent: none. */
  trustedProxies?: string[];
  /** Caps checked when a rule is saved or tried (defaults: DEFAULT_RULE_LIMITS). */
  ruleLimits?: Partial<RuleLimits>;
  /** The dry run's evaluation threads and time budget (RULES_EVAL_*); used when rulePool is absent. */
  ruleBudget?: RulePoolOptions & { strikes?: number };
  /** The fetch caps of the worker: the dry run applies them to posted messages too. */
  fetchLimits?: FetchLimits;
  rulePool?: RulePool;
  /** Origins allowed by CORS; empty or absent = CORS off (no CORS headers at all). */
  corsOrigins?: string[];
  /** The `mail.process` producer backfills enqueue to; absent: backfill answers 501. */
  mailJobs?: Producer<"mail.process">;
  /** The `webhook.deliver` producer replays go to; absent: replay routes answer 501. */
  deliveries?: Producer<"webhook.deliver">;
  /**
   * Removes a tenant's jobs from every queue (tenant deletion; `isTenantJob` knows the ids of its
   * finished jobs, for the event streams); absent: queued jobs are left to fail.
   */
  purgeTenantJobs?: (tenantId: string, isTenantJob: (jobId: string) => boolean) => Promise<string[]>;
  /** Watchers' lease TTL: how long tenant deletion waits for them to let go of its mailboxes. */
  leaseTtlMs?: number;
  /** The built web console served under /console (packages/console/dist); absent: /console answers 404. */
  consoleDir?: string;
  /** Logs in and lists folders; tests may pass a fake. Defaults to a real IMAP login. */
  probeMailbox?: MailboxProbe;
}
