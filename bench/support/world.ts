import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { createSecretBox, createStore, generateKeySpec, type Mailbox, type Store } from "@mailhook/store";
import { type ImapUser, startDovecot, startRedis, type TestDovecot, type TestRedis } from "@mailhook/testing";
import { generateSecret } from "@mailhook/webhook";
import { Redis } from "ioredis";
import { benchMailFormat } from "./machine.js";
import { type BenchReceiver, startBenchReceiver } from "./receiver.js";
import { BENCH_ENDPOINTS, benchRules } from "./rules.js";
import { type ServiceProcess, spawnService, sumSyscalls } from "./services.js";

export const TENANT = "default";

/** Real Redis, real Dovecot and an HTTP receiver on 127.0.0.1, as the tests use them. */
export interface World {
  redis: TestRedis;
  dovecot: TestDovecot;
  receiver: BenchReceiver;
  keySpec: string;
  secret: string;
  stop(): Promise<void>;
}

export async function startWorld(opts: { keepBodies?: boolean } = {}): Promise<World> {
  const [redis, dovecot, receiver] = await Promise.all([
    startRedis(),
    startDovecot({ mailFormat: benchMailFormat() }),
    startBenchReceiver(opts),
  ]);
  return {
    redis,
    dovecot,
    receiver,
    keySpec: generateKeySpec("bench"),
    secret: generateSecret(),
    async stop() {
      await Promise.all([receiver.stop(), dovecot.stop(), redis.stop()]);
    },
  };
}

/** One mailhook installation (a Redis prefix) with its watcher and worker processes. */
export interface Mailhook {
  prefix: string;
  store: Store;
  watcher: ServiceProcess;
  worker: ServiceProcess;
  /** Polls the store until every listed folder is connected (IDLE). */
  waitConnected(mailboxIds: string[], timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMailhookOptions {
  /** Extra environment for both services (e.g. a smaller reconcile interval). */
  env?: Record<string, string>;
  cpuProfDir?: string;
  /** Worker processes (default 1); with more, `worker` sums their CPU and RSS. */
  workers?: number;
}

/** Several worker processes seen as one: summed CPU and RSS, the slowest start, all stopped. */
function combined(workers: ServiceProcess[]): ServiceProcess {
  const first = workers[0] as ServiceProcess;
  return {
    ...first,
    bootMs: Math.max(...workers.map((w) => w.bootMs)),
    rssKb: () => workers.reduce((a, w) => a + w.rssKb(), 0),
    cpuMs: () => workers.reduce((a, w) => a + w.cpuMs(), 0),
    syscalls: () => sumSyscalls(workers.map((w) => w.syscalls())),
    stop: async () => {
      await Promise.all(workers.map((w) => w.stop()));
    },
    kill: async () => {
      await Promise.all(workers.map((w) => w.kill()));
    },
  };
}

/** A fresh mailhook installation: its own Redis prefix, the bench endpoints and rules, no mailboxes. */
export interface Installation {
  prefix: string;
  store: Store;
  /** The environment an operator would give the services for this installation. */
  env: Record<string, string>;
  /** Polls the store until every folder of the listed mailboxes is connected (IDLE). */
  waitConnected(mailboxIds: string[], timeoutMs: number): Promise<void>;
  close(): void;
}

export async function createInstallation(
  world: World,
  extraEnv: Record<string, string> = {},
): Promise<Installation> {
  const prefix = `b${randomUUID().slice(0, 8)}`;
  const redis = new Redis(world.redis.url, { maxRetriesPerRequest: 3 });
  const store = createStore({ redis, prefix, secrets: createSecretBox(world.keySpec) });
  for (const id of BENCH_ENDPOINTS) {
    await store.putEndpoint({
      tenantId: TENANT,
      id,
      url: `${world.receiver.url}/mailhook/${id}`,
      secrets: [world.secret],
      headers: {},
      enabled: true,
      disabledReason: null,
      managed: "api",
      updatedAt: new Date().toISOString(),
    });
  }
  await store.putRules(TENANT, benchRules());
  return {
    prefix,
    store,
    env: {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: prefix,
      MAILHOOK_ENCRYPTION_KEYS: world.keySpec,
      LOG_LEVEL: "info",
      WEBHOOK_ALLOW: "127.0.0.1/32",
      IMAP_ALLOW: "127.0.0.1/32",
      ...extraEnv,
    },
    async waitConnected(mailboxIds, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const pending = new Set(mailboxIds);
      while (pending.size > 0) {
        if (Date.now() > deadline)
          throw new Error(`${pending.size} mailboxes not connected in ${timeoutMs} ms`);
        const batch = [...pending].slice(0, 200);
        const statuses = await Promise.all(batch.map((id) => store.getFolderStatuses(TENANT, id)));
        batch.forEach((id, i) => {
          const all = Object.values(statuses[i] ?? {});
          if (all.length > 0 && all.every((s) => s.state === "connected")) pending.delete(id);
        });
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 25));
      }
    },
    close() {
      redis.disconnect();
    },
  };
}

/** One mailhook installation with its watcher and worker processes running. */
export interface Mailhook extends Installation {
  watcher: ServiceProcess;
  worker: ServiceProcess;
  stop(): Promise<void>;
}

export interface StartMailhookOptions {
  /** Extra environment for both services. */
  env?: Record<string, string>;
  cpuProfDir?: string;
}

/**
 * Starts worker and watcher as child processes on a fresh installation (no mailboxes yet): a
 * scenario adds mailboxes when its clock starts, and the watcher reacts to the store's change
 * notice within milliseconds.
 */
export async function startMailhook(world: World, opts: StartMailhookOptions = {}): Promise<Mailhook> {
  const inst = await createInstallation(world, opts.env);
  const prof = (name: string) => (opts.cpuProfDir ? { cpuProfDir: join(opts.cpuProfDir, name) } : {});
  const count = Math.max(1, opts.workers ?? 1);
  const [watcher, ...workers] = await Promise.all([
    spawnService("watcher", { env: inst.env, ...prof("watcher") }),
    ...Array.from({ length: count }, (_, i) =>
      spawnService("worker", { env: inst.env, ...prof(i === 0 ? "worker" : `worker-${i + 1}`) }),
    ),
  ]);
  const worker = workers.length === 1 ? (workers[0] as ServiceProcess) : combined(workers);
  return {
    ...inst,
    watcher,
    worker,
    async stop() {
      await Promise.all([watcher.stop(), ...workers.map((w) => w.stop())]);
      inst.close();
    },
  };
}

/** A mailbox record for a Dovecot user, as the API would store it. */
export function benchMailbox(
  world: World,
  user: ImapUser,
  id: string,
  start: Mailbox["start"],
  folders = ["INBOX"],
): Mailbox {
  return {
    tenantId: TENANT,
    id,
    address: `${user.user}@bench.test`,
    host: "127.0.0.1",
    port: world.dovecot.port,
    tls: "none",
    tlsVerify: false,
    user: user.user,
    password: user.pass,
    folders,
    start,
    enabled: true,
    managed: "api",
    updatedAt: new Date().toISOString(),
  };
}
