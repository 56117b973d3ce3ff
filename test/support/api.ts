import { randomUUID } from "node:crypto";
import { type ApiDeps, createApp } from "@mailhook/api";
import { createLogger, type Logger } from "@mailhook/log";
import { createRulePool, type RulePool } from "@mailhook/rule-pool";
import {
  createSecretBox,
  createStore,
  generateKeySpec,
  type RedisClient,
  type SecretBox,
  type Store,
} from "@mailhook/store";
import { startRedis, type TestRedis } from "@mailhook/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { testOutbound } from "./outbound.js";
import { LogCapture } from "./stack.js";

export const ADMIN_TOKEN = `admin-${randomUUID()}-${randomUUID()}`;

export interface ApiHarnessOptions {
  redisUrl: string;
  /** Share a prefix and store (e.g. a Stack's) instead of a fresh isolated one. */
  shared?: { prefix: string; store: Store; redis: RedisClient; secrets?: SecretBox };
  deps?: Partial<ApiDeps>;
  /** Choose the prefix (e.g. to build a BullMQ producer on it first). */
  prefix?: string;
}

/**
 * The API in-process on a real Redis, on an isolated prefix, with captured logs. `call` sends a
 * request through `app.request()` (no socket), `json` does so with a JSON body.
 */
export class ApiHarness {
  readonly prefix: string;
  readonly logs = new LogCapture();
  readonly log: Logger;
  readonly redis: RedisClient;
  readonly store: Store;
  readonly secrets: SecretBox;
  readonly app: ReturnType<typeof createApp>;
  /** The dry run's evaluation threads (closed by stop). */
  readonly rulePool: RulePool;
  private readonly ownsRedis: boolean;

  constructor(opts: ApiHarnessOptions) {
    this.log = createLogger({ name: "api-test", level: "debug", destination: this.logs });
    if (opts.shared) {
      this.prefix = opts.shared.prefix;
      this.redis = opts.shared.redis;
      this.store = opts.shared.store;
      this.secrets = opts.shared.secrets ?? createSecretBox(generateKeySpec("k1"));
      this.ownsRedis = false;
    } else {
      this.prefix = opts.prefix ?? `a${randomUUID().slice(0, 8)}`;
      this.redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 3 });
      this.secrets = createSecretBox(generateKeySpec("k1"));
      this.store = createStore({ redis: this.redis, prefix: this.prefix, secrets: this.secrets });
      this.ownsRedis = true;
    }
    this.rulePool = opts.deps?.rulePool ?? createRulePool(opts.deps?.ruleBudget);
    this.app = createApp({
      rulePool: this.rulePool,
      redis: this.redis,
      store: this.store,
      prefix: this.prefix,
      secrets: this.secrets,
      log: this.log,
      adminToken: ADMIN_TOKEN,
      workerCounts: async () => ({}),
      outbound: testOutbound(),
      ...opts.deps,
    });
  }

  async call(
    method: string,
    path: string,
    init: { token?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const res = await this.app.request(path, {
      method,
      headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON for assertions
    return { status: res.status, headers: res.headers, body: body as any, text };
  }

  json(
    method: string,
    path: string,
    token: string | undefined,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    return this.call(method, path, {
      ...(token ? { token } : {}),
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", ...headers },
    });
  }

  /** A tenant and a token for it (read-write unless told). */
  async tenant(name = "t", readOnly = false): Promise<{ tenantId: string; token: string }> {
    const t = await this.json("POST", "/v1/tenants", ADMIN_TOKEN, { name });
    if (t.status !== 201) throw new Error(`tenant: ${t.status} ${t.text}`);
    const k = await this.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, {
      name: "test",
      readOnly,
    });
    if (k.status !== 201) throw new Error(`token: ${k.status} ${k.text}`);
    return { tenantId: t.body.id as string, token: k.body.token as string };
  }

  /** The token record behind a token (for assertions on its tenant). */
  async tokensOf(token: string) {
    const { createTokens } = await import("@mailhook/store");
    const r = await createTokens({ redis: this.redis, prefix: this.prefix }).verify(token);
    if (!r) throw new Error("unknown token");
    return r;
  }

  async stop(): Promise<void> {
    if (process.env.MAILHOOK_TEST_LOGS) {
      const { appendFileSync } = await import("node:fs");
      appendFileSync(process.env.MAILHOOK_TEST_LOGS, `${this.logs.text()}\n`);
    }
    await this.rulePool.close();
    if (this.ownsRedis) this.redis.disconnect();
  }
}

/** Every error body must have this shape. */
/**
 * A Redis of its own and one ApiHarness on it for the whole test file: started in `beforeAll`,
 * stopped in `afterAll`. The returned object stands for that harness (use it like one inside
 * tests and hooks; touching it before `beforeAll` ran throws).
 */
export function useApi(opts: Omit<ApiHarnessOptions, "redisUrl"> = {}): ApiHarness {
  let redis: TestRedis | undefined;
  let api: ApiHarness | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    api = new ApiHarness({ ...opts, redisUrl: redis.url });
  });
  afterAll(async () => {
    await api?.stop();
    await redis?.stop();
  });
  return new Proxy({} as ApiHarness, {
    get(_target, key) {
      if (!api) throw new Error("useApi(): the harness exists from beforeAll on");
      const v: unknown = Reflect.get(api, key, api);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(api) : v;
    },
  });
}

export function isErrorShape(body: unknown): boolean {
  if (!body || typeof body !== "object") return false;
  const e = (body as { error?: unknown }).error;
  if (!e || typeof e !== "object") return false;
  const { code, message, requestId, details } = e as Record<string, unknown>;
  return (
    typeof code === "string" &&
    /^[A-Z_]+$/.test(code) &&
    typeof message === "string" &&
    typeof requestId === "string" &&
    (details === undefined ||
      (Array.isArray(details) &&
        details.every(
          (d) => d && typeof d === "object" && typeof d.path === "string" && typeof d.reason === "string",
        )))
  );
}
