import { randomUUID } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { Writable } from "node:stream";
import { createLogger, type Logger } from "@mailhook/log";
import { DEFAULT_FETCH_LIMITS } from "@mailhook/model";
import type { OutboundPolicy } from "@mailhook/net";
import { type Rule, validateRules } from "@mailhook/rules";
import {
  createSecretBox,
  createStore,
  type DeliveryRecord,
  type Endpoint,
  generateKeySpec,
  type Mailbox,
  type RedisClient,
  type SecretBox,
  type Store,
} from "@mailhook/store";
import type { ImapUser, TestDovecot } from "@mailhook/testing";
import { startWatcherService, type WatcherService } from "@mailhook/watcher";
import { generateSecret } from "@mailhook/webhook";
import { startWorkerService, type WorkerService, type WorkerServiceOptions } from "@mailhook/worker";
import { Cluster, Redis } from "ioredis";
import { testOutbound } from "./outbound.js";

/** Captures JSON log lines in memory so tests can assert on them (and grep them for secrets). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    for (const line of chunk.toString("utf8").split("\n")) if (line) this.lines.push(line);
    cb();
  }
  entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  text(): string {
    return this.lines.join("\n");
  }
}

export interface StackOptions {
  redisUrl: string;
  /** Share another stack's installation (a second replica); default: a fresh prefix. */
  prefix?: string;
  /** Redis Cluster seed nodes: then one Cluster client serves the store, leases and BullMQ. */
  cluster?: { host: string; port: number }[];
  /** Extra watcher timing (tests shorten health checks and backoff). */
  timing?: Parameters<typeof startWatcherService>[0]["timing"];
  schedule?: number[];
  totalTimeoutMs?: number;
  /** Reuse this secret box (e.g. the one the API under test seals with); default: a fresh key. */
  secrets?: SecretBox;
  /** First webhook attempts straight from mail.process (WEBHOOK_INLINE_FIRST_ATTEMPT). */
  inlineFirstAttempt?: boolean;
  /** Worker IMAP: whole-job bound (default 3 s here) and per-command timeout (default 30 s). */
  imapOperationTimeoutMs?: number;
  imapCommandTimeoutMs?: number;
  /** Worker FETCH shape; turning the guards off makes a message the server refuses. */
  fetchShape?: { sectionsPerCommand?: number; fallbackSections?: number };
  /** The outbound policy of watcher and worker (default: 127.0.0.1 allowed for IMAP and webhooks). */
  outbound?: OutboundPolicy;
  /** Rule evaluation threads, time budget and strikes of the worker. */
  ruleBudget?: WorkerServiceOptions["ruleBudget"];
  /** Anything else of the worker (ids, pool size, session budget, concurrency). */
  worker?: Partial<WorkerServiceOptions>;
}

/** A mailbox on the test Dovecot (or any test IMAP server). */
export function mailboxFor(
  dovecot: Pick<TestDovecot, "port">,
  user: ImapUser,
  id: string,
  overrides: Partial<Mailbox> = {},
): Mailbox {
  return {
    tenantId: "default",
    id,
    address: `${user.user}@example.test`,
    host: "127.0.0.1",
    port: dovecot.port,
    tls: "none",
    tlsVerify: false,
    user: user.user,
    password: user.pass,
    folders: ["INBOX"],
    start: "new",
    enabled: true,
    managed: "api",
    updatedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** A pending delivery record of tenant `tenantId`, as the worker would create it. */
export const deliveryRecord = (id: string, tenantId = "default"): DeliveryRecord => ({
  id,
  tenantId,
  endpointId: "ep",
  ruleId: "r",
  mailboxId: "m",
  folder: "INBOX",
  uidValidity: 1,
  uid: 1,
  messageKey: "m~INBOX~1~1",
  status: "pending",
  body: "{}",
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  seenAt: Date.now(),
  attempts: [],
  lastError: null,
});

export function endpointFor(url: string, id = "hook", secret = generateSecret()): Endpoint {
  return {
    tenantId: "default",
    id,
    url,
    secrets: [secret],
    headers: {},
    enabled: true,
    disabledReason: null,
    managed: "api",
    updatedAt: new Date().toISOString(),
  };
}

export function rules(input: unknown[]): Rule[] {
  const r = validateRules(input);
  if (!r.ok) throw new Error(`test rules invalid: ${JSON.stringify(r.problems)}`);
  return r.rules;
}

/**
 * mailhook's watcher and worker, in-process, on an isolated Redis prefix: what `npm start` runs,
 * minus the process boundaries, so a test can stop and restart each part.
 */
export class Stack {
  readonly prefix: string;
  readonly logs = new LogCapture();
  readonly log: Logger;
  readonly redis: RedisClient;
  readonly store: Store;
  readonly secrets: SecretBox;
  watcher: WatcherService | null = null;
  worker: WorkerService | null = null;

  readonly outbound: OutboundPolicy;

  constructor(private readonly opts: StackOptions) {
    this.prefix = opts.prefix ?? `t${randomUUID().slice(0, 8)}`;
    this.outbound = opts.outbound ?? testOutbound();
    this.log = createLogger({ name: "test", level: "debug", destination: this.logs });
    this.redis = opts.cluster
      ? new Cluster(opts.cluster, {
          enableAutoPipelining: true,
          redisOptions: { maxRetriesPerRequest: null },
        })
      : new Redis(opts.redisUrl, { maxRetriesPerRequest: 3 });
    this.secrets = opts.secrets ?? createSecretBox(generateKeySpec("k1"));
    this.store = createStore({ redis: this.redis, prefix: this.prefix, secrets: this.secrets });
  }

  get redisUrl(): string {
    return this.opts.redisUrl;
  }

  /** What the services connect BullMQ with: the shared Cluster client, or the single Redis's URL. */
  private connection(): { connection: Cluster } | { redisUrl: string } {
    return this.redis instanceof Cluster ? { connection: this.redis } : { redisUrl: this.opts.redisUrl };
  }

  async startWatcher(
    ownerId = "watcher-1",
    extra: { capacity?: number; restartGraceMs?: number } = {},
  ): Promise<WatcherService> {
    this.watcher = await startWatcherService({
      ...this.connection(),
      ...extra,
      prefix: this.prefix,
      store: this.store,
      log: this.log.child({ service: "watcher", owner: ownerId }),
      ownerId,
      outbound: this.outbound,
      leaseTtlMs: 3_000,
      reconcileMs: 500,
      timing: {
        backoffBaseMs: 200,
        backoffCapMs: 2_000,
        authBackoffBaseMs: 500,
        healthCheckMs: 1_000,
        reselectMs: 1_000,
        noopTimeoutMs: 1_500,
        ...this.opts.timing,
      },
    });
    return this.watcher;
  }

  async startWorker(): Promise<WorkerService> {
    this.worker = await startWorkerService({
      ...this.connection(),
      prefix: this.prefix,
      store: this.store,
      log: this.log.child({ service: "worker" }),
      mailConcurrency: 8,
      deliveryConcurrency: 16,
      imapPoolSize: 2,
      imapOperationTimeoutMs: this.opts.imapOperationTimeoutMs ?? 3_000,
      ...(this.opts.imapCommandTimeoutMs ? { imapCommandTimeoutMs: this.opts.imapCommandTimeoutMs } : {}),
      ...(this.opts.fetchShape ? { fetchShape: this.opts.fetchShape } : {}),
      ...(this.opts.inlineFirstAttempt ? { inlineFirstAttempt: true } : {}),
      ...(this.opts.ruleBudget ? { ruleBudget: this.opts.ruleBudget } : {}),
      limits: DEFAULT_FETCH_LIMITS,
      outbound: this.outbound,
      schedule: this.opts.schedule ?? [200, 400, 800],
      timeouts: {
        connectTimeoutMs: 2_000,
        totalTimeoutMs: this.opts.totalTimeoutMs ?? 5_000,
        maxResponseBytes: 4_096,
      },
      ...this.opts.worker,
    });
    return this.worker;
  }

  async start(): Promise<this> {
    await this.startWorker();
    await this.startWatcher();
    return this;
  }

  async stopWatcher(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = null;
  }

  async stopWorker(): Promise<void> {
    await this.worker?.stop();
    this.worker = null;
  }

  async stop(): Promise<void> {
    if (process.env.MAILHOOK_TEST_LOGS) {
      const { appendFileSync } = await import("node:fs");
      appendFileSync(process.env.MAILHOOK_TEST_LOGS, `${this.logs.text()}\n`);
    }
    await this.stopWatcher();
    await this.stopWorker();
    this.redis.disconnect();
  }

  /** Polls until the folder's status is `state` (the watcher writes it on every transition). */
  async waitForState(mailboxId: string, folder: string, state: string, timeoutMs = 15_000): Promise<void> {
    await waitUntil(
      async () => (await this.store.getFolderStatuses("default", mailboxId))[folder]?.state === state,
      timeoutMs,
      `${mailboxId}/${folder} to be ${state}`,
    );
  }
}

/**
 * How much longer than on an idle machine waits may take: the 1-minute load per core, between 1
 * and 4 (MAILHOOK_TEST_SLACK overrides it). Deadlines in these tests are hang guards, not
 * assertions about speed; on a shared machine at load 20 a 15 s wait can pass unmet while
 * nothing is wrong. Speed is measured in bench/, against a baseline in the same run.
 */
export function loadSlack(): number {
  const forced = Number(process.env.MAILHOOK_TEST_SLACK);
  if (Number.isFinite(forced) && forced >= 1) return forced;
  return Math.min(4, Math.max(1, (loadavg()[0] ?? 0) / availableParallelism()));
}

/** Polls `check` until it holds; gives up after `timeoutMs` × the load slack at the time of the call. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const allowed = Math.round(timeoutMs * loadSlack());
  const deadline = Date.now() + allowed;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${allowed} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
