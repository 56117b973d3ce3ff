// Deliveries per second from one Node process to a local receiver (in a child process, so the two
// do not share an event loop), with and without a hanging endpoint next to it. Not a test: prints numbers.
//   pnpm --filter @mailhook/webhook exec tsx scripts/bench-deliver.ts [count] [concurrency]
import { type ChildProcess, spawn } from "node:child_process";
import { createDeliveryAgents, deliver, generateSecret, webhookHeaders } from "../src/index.js";

const count = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 32);

const RECEIVER = `
const http = require("node:http");
const hang = process.argv[1] === "hang";
const s = http.createServer((req, res) => {
  req.resume();
  if (!hang) req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end("ok"));
});
s.keepAliveTimeout = 60_000;
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
`;

async function startReceiver(mode: "ok" | "hang"): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-e", RECEIVER, mode], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) =>
    child.stdout?.once("data", (d) => resolve(Number(String(d)))),
  );
  return { port, child };
}

const secrets = [generateSecret()];
const body = JSON.stringify({
  type: "message.matched",
  version: 1,
  message: {
    subject: "Invoice #1234",
    text: "x".repeat(1_500),
    from: [{ name: "V", address: "b@vendor.com" }],
  },
});

async function run(port: number, n: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  const agents = createDeliveryAgents({ maxSocketsPerOrigin: concurrency });
  const url = new URL(`http://127.0.0.1:${port}/hook`);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const id = `msg_${i}`;
        const headers = webhookHeaders({ id, timestamp: Math.floor(Date.now() / 1000), body, secrets });
        const a = await deliver({
          url,
          address: "127.0.0.1",
          family: 4,
          headers,
          body,
          connectTimeoutMs: 2_000,
          totalTimeoutMs: 10_000,
          maxResponseBytes: 1_024,
          agents,
        });
        if (a.status !== 200) throw new Error(`delivery ${i}: ${a.status} ${a.error}`);
        latencies.push(a.latencyMs);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agents.http.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { perSecond: Math.round(n / seconds), p50: pct(0.5), p99: pct(0.99) };
}

const healthy = await startReceiver("ok");
const dead = await startReceiver("hang");
try {
  await run(healthy.port, 2_000); // warm-up (JIT, sockets)
  const alone = await run(healthy.port, count);
  process.stdout.write(`healthy alone: ${JSON.stringify(alone)}\n`);

  // 64 requests parked on a hanging endpoint for the whole run, on their own agent as the delivery
  // worker would have (per-endpoint concurrency is the queue's job; this measures the client side).
  const deadAgents = createDeliveryAgents();
  const parked = Array.from({ length: 64 }, () =>
    deliver({
      url: new URL(`http://127.0.0.1:${dead.port}/`),
      address: "127.0.0.1",
      family: 4,
      headers: webhookHeaders({ id: "msg_dead", timestamp: Math.floor(Date.now() / 1000), body, secrets }),
      body,
      connectTimeoutMs: 2_000,
      totalTimeoutMs: 600_000,
      maxResponseBytes: 1_024,
      agents: deadAgents,
    }),
  );
  const beside = await run(healthy.port, count);
  process.stdout.write(`healthy beside a hanging endpoint: ${JSON.stringify(beside)}\n`);
  deadAgents.http.destroy();
  await Promise.all(parked);
} finally {
  healthy.child.kill();
  dead.child.kill();
}
