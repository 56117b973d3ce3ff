/**
 * Webhook deliveries per second through the real path: delivery records in Redis, `webhook.deliver`
 * jobs in BullMQ, the worker service (gate, signing, SSRF check, HTTP POST over keep-alive, record
 * update), to a local receiver running in its own process. IMAP is not involved: the records and jobs
 * are created up front, as `mail.process` would create them.
 *
 * Scenarios:
 *   healthy        N deliveries to one endpoint.
 *   with-dead      the same N to the healthy endpoint, plus deliveries to a dead endpoint whose
 *                  requests hang until the timeout (the worst kind of dead), enqueued interleaved.
 *                  The healthy endpoint's rate should stay within 10 % of `healthy`.
 *   with-refusing  the same, with a dead endpoint that refuses connections (fast failures that open
 *                  its circuit).
 *
 * Run: npx tsx bench/delivery.ts [--n 20000] [--dead 2000] [--concurrency 64] [--endpoint-concurrency 16]
 *        [--healthy-only] [--json out.json]
 */

import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { createLogger } from "../packages/log/src/index.js";
import { deliveryId } from "../packages/model/src/index.js";
import { createOutboundPolicy } from "../packages/net/src/index.js";
import { createProducer } from "../packages/queue/src/index.js";
import { createSecretBox, createStore, generateKeySpec, type Store } from "../packages/store/src/index.js";
import { freePort, startRedis } from "../packages/testing/src/index.js";
import { generateSecret } from "../packages/webhook/src/index.js";
import { startWorkerService } from "../services/worker/src/index.js";

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = opt("n", 20_000);
const DEAD = opt("dead", 2_000);
const CONCURRENCY = opt("concurrency", 64);
/** The production defaults: DELIVERY_CONCURRENCY 64, WEBHOOK_ENDPOINT_CONCURRENCY 16. */
const PER_ENDPOINT = opt("endpoint-concurrency", 16);
const jsonIdx = args.indexOf("--json");
const jsonOut = jsonIdx >= 0 ? args[jsonIdx + 1] : undefined;

/** A receiver in its own process, so its CPU is not the worker's. `hang` accepts and never answers. */
async function startReceiverProcess(mode: "ok" | "hang"): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const code = `
    const http = require("node:http");
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => { ${mode === "ok" ? 'res.writeHead(200, { "content-type": "text/plain" }); res.end("ok");' : ""} });
    });
    server.keepAliveTimeout = 60000;
    server.listen(${port}, "127.0.0.1", () => process.stdout.write("ready\\n"));
  `;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await once(child.stdout!, "data");
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGKILL") };
}

/** A body of the size a typical text webhook has (about 2 KB). */
function body(id: string, i: number): string {
  return JSON.stringify({
    type: "message.matched",
    version: 1,
    id,
    timestamp: new Date().toISOString(),
    tenant: "default",
    mailbox: { id: "bench", address: "bench@example.test", folder: "INBOX" },
    message: {
      uid: i + 1,
      uidValidity: 1,
      subject: `Invoice ${i}`,
      from: [{ name: "Vendor", address: "billing@vendor.example" }],
      text: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(30),
      textTruncated: false,
      attachments: [],
    },
    rule: { id: "r", name: "R" },
    extracted: {},
  });
}

async function seed(store: Store, endpointId: string, count: number, offset: number): Promise<string[]> {
  const ids: string[] = [];
  const now = new Date().toISOString();
  for (let start = 0; start < count; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const key = `bench~INBOX~1~${offset + i + 1}`;
      const id = deliveryId(key, "r", endpointId);
      ids.push(id);
      batch.push(
        store.createDelivery({
          id,
          tenantId: "default",
          endpointId,
          ruleId: "r",
          mailboxId: "bench",
          folder: "INBOX",
          uidValidity: 1,
          uid: offset + i + 1,
          messageKey: key,
          status: "pending",
          body: body(id, i),
          createdAt: now,
          updatedAt: now,
          seenAt: Date.now(),
          attempts: [],
          lastError: null,
        }),
      );
    }
    await Promise.all(batch);
  }
  return ids;
}

interface Result {
  scenario: string;
  healthy: number;
  seconds: number;
  perSecond: number;
  deadAttemptsRecorded?: number;
  deadJobRuns?: number;
  workerCpuPct: number;
}

async function run(
  scenario: "healthy" | "with-dead" | "with-refusing",
  redisUrl: string,
  n: number = N,
): Promise<Result> {
  const prefix = `bench${Date.now().toString(36)}`;
  const redis = new (await import("ioredis")).Redis(redisUrl);
  const store = createStore({ redis, prefix, secrets: createSecretBox(generateKeySpec("k1")) });
  const ok = await startReceiverProcess("ok");
  const hang = scenario === "with-dead" ? await startReceiverProcess("hang") : null;
  const refusing = scenario === "with-refusing" ? `http://127.0.0.1:${await freePort()}` : null;
  const endpoint = (id: string, url: string) =>
    store.putEndpoint({
      tenantId: "default",
      id,
      url,
      secrets: [generateSecret()],
      headers: {},
      enabled: true,
      disabledReason: null,
      managed: "api",
      updatedAt: new Date().toISOString(),
    });
  await endpoint("healthy", `${ok.url}/in`);
  const deadUrl = hang ? `${hang.url}/in` : refusing;
  if (deadUrl) await endpoint("dead", deadUrl);

  const healthyIds = await seed(store, "healthy", n, 0);
  const deadIds = deadUrl ? await seed(store, "dead", DEAD, n) : [];
  // Interleaved, so the dead endpoint's jobs sit among the healthy ones in the queue.
  const jobs: { jobId: string; data: { tenantId: string; deliveryId: string } }[] = [];
  const ratio = deadIds.length > 0 ? Math.ceil(healthyIds.length / deadIds.length) : Infinity;
  let d = 0;
  healthyIds.forEach((id, i) => {
    if (i % ratio === 0 && d < deadIds.length) {
      const dead = deadIds[d++]!;
      jobs.push({ jobId: dead, data: { tenantId: "default", deliveryId: dead } });
    }
    jobs.push({ jobId: id, data: { tenantId: "default", deliveryId: id } });
  });
  const connection = { url: redisUrl, maxRetriesPerRequest: null };
  const producer = createProducer("webhook.deliver", { connection, prefix });
  for (let i = 0; i < jobs.length; i += 1_000) await producer.addBulk(jobs.slice(i, i + 1_000));

  let delivered = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = await startWorkerService({
    redisUrl,
    prefix,
    store,
    log: createLogger({ name: "bench", level: "silent" }),
    mailConcurrency: 1,
    deliveryConcurrency: CONCURRENCY,
    imapPoolSize: 1,
    limits: { textBytes: 1, htmlBytes: 1, attachmentBytes: 1 },
    outbound: createOutboundPolicy({ allow: { http: ["127.0.0.1/32"] } }),
    timeouts: { connectTimeoutMs: 5_000, totalTimeoutMs: 15_000, maxResponseBytes: 4_096 },
    gate: { concurrency: PER_ENDPOINT },
    onDelivered: () => {
      if (++delivered === n) finish();
    },
  });
  await done;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const deadAttemptsRecorded = deadIds.length
    ? (await Promise.all(deadIds.map((id) => store.getDelivery(id)))).reduce(
        (n, r) => n + (r?.attempts.length ?? 0),
        0,
      )
    : undefined;
  // How often the worker picked up a dead endpoint's job (each postponement is one more run):
  // the CPU a dead endpoint costs the healthy ones.
  let deadJobRuns = 0;
  for (const id of deadIds) deadJobRuns += (await producer.queue.getJob(id))?.attemptsStarted ?? 0;
  await producer.close();
  hang?.stop(); // ends the hanging requests, so stopping the worker does not wait for them
  await worker.stop();
  ok.stop();
  redis.disconnect();
  return {
    scenario,
    healthy: n,
    seconds: Math.round(seconds * 100) / 100,
    perSecond: Math.round(n / seconds),
    ...(deadAttemptsRecorded !== undefined ? { deadAttemptsRecorded, deadJobRuns } : {}),
    workerCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100),
  };
}

const redisServer = await startRedis();
try {
  const results: Result[] = [];
  // The first run of a process pays for JIT warm-up and fresh connections; it is not reported.
  await run("healthy", redisServer.url, Math.min(N, 3_000));
  // healthy runs first and last: the machine's drift during the run shows in their difference.
  const only = args.includes("--healthy-only")
    ? (["healthy"] as const)
    : (["healthy", "with-dead", "with-refusing", "healthy"] as const);
  for (const s of only) {
    const r = await run(s, redisServer.url);
    results.push(r);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  const healthy = results.filter((r) => r.scenario === "healthy");
  const base = healthy.reduce((a, r) => a + r.perSecond, 0) / healthy.length;
  for (const r of results.filter((x) => x.scenario !== "healthy")) {
    process.stdout.write(
      `${r.scenario}: healthy endpoint at ${Math.round((r.perSecond / base) * 100)} % of healthy-only (mean of the healthy runs)\n`,
    );
  }
  if (jsonOut)
    writeFileSync(
      jsonOut,
      `${JSON.stringify({ n: N, dead: DEAD, concurrency: CONCURRENCY, results }, null, 2)}\n`,
    );
} finally {
  await redisServer.stop();
}
