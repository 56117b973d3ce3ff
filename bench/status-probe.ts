/**
 * What the watcher's health probe costs: `NOOP` (what it sent before) against
 * `STATUS <folder> (UIDVALIDITY)` (what it sends now, to notice a re-created folder), on an IDLE
 * connection as the watcher holds it (imapflow leaves IDLE, runs the command, re-enters IDLE),
 * per server. Round trip per probe (median / p95 of N) and bytes on the wire per probe, counted by
 * a TCP proxy. Cyrus and Courier need root (see docs/servers.md).
 *
 * Run: pnpm exec tsx bench/status-probe.ts [--n 200]
 */
import {
  debianServersUnavailable,
  dovecotAsImapServer,
  startCourier,
  startCyrus,
  startDovecot,
  startTcpProxy,
  type TestImapServer,
} from "@mailhook/testing";
import { option } from "./support/args.js";

const N = Number(option("n") ?? 200);

async function measure(server: TestImapServer) {
  const user = await server.createUser("probe");
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: server.port });
  const client = await server.client(user, {
    port: proxy.port,
    imapflow: { autoIdleDelay: 0, maxIdleTime: 60_000 },
  });
  await client.mailboxOpen("INBOX");
  const run = async (probe: () => Promise<unknown>) => {
    // As the watcher's client: back in IDLE right after every command (autoIdleDelay 0).
    await new Promise((r) => setTimeout(r, 100));
    proxy.resetCounters();
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await probe();
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    const bytes = (proxy.bytesFromTarget() + proxy.bytesToTarget()) / N;
    times.sort((a, b) => a - b);
    const at = (q: number) => Math.round((times[Math.floor(q * (times.length - 1))] ?? 0) * 100) / 100;
    return { medianMs: at(0.5), p95Ms: at(0.95), bytesPerProbe: Math.round(bytes) };
  };
  const noop = await run(() => client.noop());
  const status = await run(() => client.status("INBOX", { uidValidity: true }));
  await client.logout().catch(() => client.close());
  await proxy.stop();
  return { noop, status };
}

const out: Record<string, unknown> = { n: N };
const servers: [string, () => Promise<TestImapServer>][] = [
  ["dovecot", async () => dovecotAsImapServer(await startDovecot())],
  ...(debianServersUnavailable() === null
    ? ([
        ["cyrus", startCyrus],
        ["courier", () => startCourier()],
      ] as [string, () => Promise<TestImapServer>][])
    : []),
];
for (const [name, start] of servers) {
  const server = await start();
  try {
    out[name] = await measure(server);
  } finally {
    await server.stop();
  }
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
