import { execFileSync, spawn } from "node:child_process";
import type dns from "node:dns";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOutboundPolicy, resolverFromLookup } from "@mailhook/net";
import {
  classifyAttempt,
  createDeliveryAgents,
  DEFAULT_RETRY_SCHEDULE_MS,
  type DeliverArgs,
  type DeliveryAgents,
  deliver,
  generateSecret,
  retryDelay,
  USER_AGENT,
  webhookHeaders,
} from "@mailhook/webhook";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  port: number;
  requests: Received[];
  connections: number;
  close: () => Promise<void>;
}

const servers: Receiver[] = [];

/** A real HTTP receiver on 127.0.0.1 that records every request, then answers with `respond`. */
async function receiver(respond: (req: Received, res: http.ServerResponse) => void): Promise<Receiver> {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(r);
      respond(r, res);
    });
  });
  const rcv: Receiver = {
    port: 0,
    requests,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("connection", () => {
    rcv.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  rcv.port = (server.address() as AddressInfo).port;
  servers.push(rcv);
  return rcv;
}

let agents: DeliveryAgents;
beforeEach(() => {
  agents = createDeliveryAgents();
});
afterEach(async () => {
  agents.http.destroy();
  agents.https.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const secret = generateSecret();
const body = JSON.stringify({ type: "message.matched", id: "msg_http", subject: "Grüße" });

function args(url: string, overrides: Partial<DeliverArgs> = {}): DeliverArgs {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    url: new URL(url),
    address: "127.0.0.1",
    family: 4,
    headers: webhookHeaders({
      id: "msg_http",
      timestamp,
      body,
      secrets: [secret],
      extra: { "x-tenant": "t1" },
    }),
    body,
    connectTimeoutMs: 1_000,
    totalTimeoutMs: 2_000,
    maxResponseBytes: 1_024,
    agents,
    ...overrides,
  };
}

describe("deliver over real HTTP", () => {
  it("delivers on 200 with the exact body and verifiable Standard Webhooks headers", async () => {
    const r = await receiver((_req, res) =>
      res.writeHead(200, { "content-type": "text/plain" }).end("thanks"),
    );
    const a = await deliver(args(`http://127.0.0.1:${r.port}/hooks/in?src=mailhook`));

    expect(a).toMatchObject({ status: 200, error: null, responsePreview: "thanks", retryAfterMs: null });
    expect(a.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(a.at)).toBeGreaterThan(Date.now() - 10_000);
    expect(classifyAttempt(a)).toBe("delivered");

    expect(r.requests).toHaveLength(1);
    const got = r.requests[0]!;
    expect(got.method).toBe("POST");
    expect(got.url).toBe("/hooks/in?src=mailhook");
    expect(got.body).toBe(body);
    expect(got.headers).toMatchObject({
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "user-agent": USER_AGENT,
      "webhook-id": "msg_http",
      "x-tenant": "t1",
    });
    const verified = new Webhook(secret).verify(got.body, got.headers as Record<string, string>);
    expect(verified).toEqual(JSON.parse(body));
  });

  it("connects to the pinned address while Host stays the URL's name", async () => {
    const r = await receiver((_req, res) => res.writeHead(204).end());
    // .invalid never resolves: the request can only succeed through the pinned address.
    const a = await deliver(args(`http://receiver.invalid:${r.port}/x`));
    expect(a).toMatchObject({ status: 204, error: null });
    expect(r.requests[0]?.headers.host).toBe(`receiver.invalid:${r.port}`);
  });

  it("reuses a keep-alive connection for consecutive deliveries to one endpoint", async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end("ok"));
    for (let i = 0; i < 5; i++) {
      expect((await deliver(args(`http://127.0.0.1:${r.port}/`))).status).toBe(200);
    }
    expect(r.requests).toHaveLength(5);
    expect(r.connections).toBe(1);
  });

  it("does not count time queued for a pooled socket against the connect timeout", async () => {
    let first = true;
    const r = await receiver((_req, res) => {
      const delay = first ? 400 : 0;
      first = false;
      setTimeout(() => res.writeHead(200).end("ok"), delay);
    });
    const oneSocket = createDeliveryAgents({ maxSocketsPerOrigin: 1 });
    try {
      const opts = { agents: oneSocket, connectTimeoutMs: 100, totalTimeoutMs: 3_000 };
      const [a, b] = await Promise.all([
        deliver(args(`http://127.0.0.1:${r.port}/`, opts)),
        deliver(args(`http://127.0.0.1:${r.port}/`, opts)),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.latencyMs).toBeGreaterThanOrEqual(390);
      expect(r.connections).toBe(1);
    } finally {
      oneSocket.http.destroy();
    }
  });

  it("classifies 500 as retry, keeping the response preview", async () => {
    const r = await receiver((_req, res) => res.writeHead(500).end("database down"));
    const a = await deliver(args(`http://127.0.0.1:${r.port}/`));
    expect(a).toMatchObject({ status: 500, error: null, responsePreview: "database down" });
    expect(classifyAttempt(a)).toBe("retry");
  });

  it("classifies 410 as gone", async () => {
    const r = await receiver((_req, res) => res.writeHead(410).end());
    const a = await deliver(args(`http://127.0.0.1:${r.port}/`));
    expect(a.status).toBe(410);
    expect(classifyAttempt(a)).toBe("gone");
  });

  it("records a total timeout when the receiver hangs", async () => {
    const r = await receiver(() => {
      /* never answers */
    });
    const a = await deliver(args(`http://127.0.0.1:${r.port}/`, { totalTimeoutMs: 300 }));
    expect(a.status).toBeNull();
    expect(a.error).toBe("total timeout after 300 ms waiting for the response");
    expect(a.latencyMs).toBeGreaterThanOrEqual(290);
    expect(a.latencyMs).toBeLessThan(1_500);
    expect(r.requests).toHaveLength(1);
    expect(classifyAttempt(a)).toBe("retry");
  });

  it("keeps the status when only the response body stalls", async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("partial");
    });
    const a = await deliver(args(`http://127.0.0.1:${r.port}/`, { totalTimeoutMs: 300 }));
    expect(a).toMatchObject({
      status: 200,
      responsePreview: "partial",
      error: "total timeout after 300 ms reading the response body",
    });
    expect(classifyAttempt(a)).toBe("delivered");
  });

  it("does not follow a 302 and reports it as a failed redirect", async () => {
    const target = await receiver((_req, res) => res.writeHead(200).end());
    const r = await receiver((_req, res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${target.port}/elsewhere` }).end(),
    );
    const a = await deliver(args(`http://127.0.0.1:${r.port}/`));
    expect(a.status).toBe(302);
    expect(a.error).toBe(`redirect not followed (302 to http://127.0.0.1:${target.port}/elsewhere)`);
    expect(classifyAttempt(a)).toBe("failed");
    expect(target.requests).toHaveLength(0);
  });

  it("parses Retry-After: 2 and the retry waits at least that long", async () => {
    const r = await receiver((_req, res) => res.writeHead(429, { "retry-after": "2" }).end("slow down"));
    const a = await deliver(args(`http://127.0.0.1:${r.port}/`));
    expect(a).toMatchObject({ status: 429, retryAfterMs: 2_000 });
    expect(classifyAttempt(a)).toBe("retry");
    // The first scheduled delay (5 s ± 20%) is already longer; with a 1 s schedule Retry-After wins.
    expect(retryDelay(1, [1_000], a.retryAfterMs, () => 0.5)).toBe(2_000);
    expect(retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, a.retryAfterMs, () => 0)).toBe(4_000);
  });

  it("parses a Retry-After HTTP-date", async () => {
    const when = new Date(Date.now() + 60_000).toUTCString();
    const r = await receiver((_req, res) => res.writeHead(503, { "retry-after": when }).end());
    const a = await deliver(args(`http://127.0.0.1:${r.port}/`));
    expect(a.retryAfterMs).toBeGreaterThan(55_000);
    expect(a.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("reads at most maxResponseBytes of a large response", async () => {
    const big = "x".repeat(8 * 1024 * 1024);
    const r = await receiver((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(big));
    const a = await deliver(args(`http://127.0.0.1:${r.port}/`, { maxResponseBytes: 1_000 }));
    expect(a.status).toBe(200);
    expect(a.error).toBeNull();
    expect(a.responsePreview).toBe("x".repeat(1_000));
    expect(classifyAttempt(a)).toBe("delivered");
  });

  it("reports an invalid custom header instead of throwing, and sends nothing", async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end());
    const base = args(`http://127.0.0.1:${r.port}/`);
    const a = await deliver({ ...base, headers: { ...base.headers, "x-bad": "line\r\nInjected: yes" } });
    expect(a.status).toBeNull();
    expect(a.error).toMatch(/^invalid request: .*x-bad/);
    expect(r.requests).toHaveLength(0);
  });

  it("reports a refused connection as a retryable network error, the detail only to the operator", async () => {
    const r = await receiver(() => {});
    const port = r.port;
    await r.close();
    const details: string[] = [];
    const a = await deliver({ ...args(`http://127.0.0.1:${port}/`), onError: (d) => details.push(d) });
    expect(a.status).toBeNull();
    // The record is the tenant's: no address, no port, no "refused" vs "reset" (a port-scan oracle).
    expect(a.error).toBe("connection failed");
    expect(details.join()).toMatch(/ECONNREFUSED/);
    expect(classifyAttempt(a)).toBe("retry");
  });
});

describe("stale keep-alive sockets", () => {
  it("resends once on a fresh connection when a reused socket is reset before any response", async () => {
    // A raw receiver that answers the first request of each connection and resets the connection
    // on any later one: what a receiver does when it closed an idle keep-alive socket we still hold.
    let connections = 0;
    let requests = 0;
    const server = net.createServer((socket) => {
      connections++;
      let served = false;
      let buf = "";
      socket.on("data", (d: Buffer) => {
        if (served) {
          requests++;
          socket.resetAndDestroy();
          return;
        }
        buf += d.toString("latin1");
        const end = buf.indexOf("\r\n\r\n");
        const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? 0);
        if (end < 0 || buf.length < end + 4 + len) return;
        served = true;
        requests++;
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      expect((await deliver(args(`http://127.0.0.1:${port}/`))).status).toBe(200);
      const second = await deliver(args(`http://127.0.0.1:${port}/`));
      expect(second).toMatchObject({ status: 200, error: null, responsePreview: "ok" });
      expect(connections).toBe(2);
      expect(requests).toBe(3);
    } finally {
      server.close();
    }
  });
});

/** The outbound policy with a global http allow-list, as the services build it. */
function checkDestination(url: string, opts: { allow: string[]; lookup?: typeof dns.lookup }) {
  return createOutboundPolicy({
    allow: { http: opts.allow },
    ...(opts.lookup ? { resolve: resolverFromLookup(opts.lookup) } : {}),
  }).checkUrl(url);
}

describe("checkDestination then deliver", () => {
  const lookupTo = (address: string) =>
    ((_host: string, _opts: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address, family: 4 }])) as unknown as typeof dns.lookup;

  it("refuses a loopback receiver without an allow-list entry, so nothing is sent", async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end());
    for (const url of [
      `http://127.0.0.1:${r.port}/`,
      `http://2130706433:${r.port}/`,
      `http://[::ffff:127.0.0.1]:${r.port}/`,
    ]) {
      const dest = await checkDestination(url, { allow: [] });
      expect(dest).toMatchObject({ ok: false, reason: expect.stringMatching(/loopback/) });
    }
    const named = await checkDestination(`http://hooks.test:${r.port}/`, {
      allow: [],
      lookup: lookupTo("127.0.0.1"),
    });
    expect(named).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^hooks\.test resolves to 127\.0\.0\.1/),
    });
    expect(r.requests).toHaveLength(0);
  });

  it("delivers through the pinned address when the allow-list admits 127.0.0.1/32", async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end("ok"));
    const dest = await checkDestination(`http://hooks.test:${r.port}/in`, {
      allow: ["127.0.0.1/32"],
      lookup: lookupTo("127.0.0.1"),
    });
    if (!dest.ok) throw new Error(dest.reason);
    const a = await deliver({
      ...args(dest.url.href),
      url: dest.url,
      address: dest.address,
      family: dest.family,
    });
    expect(a.status).toBe(200);
    expect(r.requests[0]?.headers.host).toBe(`hooks.test:${r.port}`);
  });
});

describe("connect timeout", () => {
  it("gives up connecting after connectTimeoutMs when the receiver's accept queue is full", async () => {
    // A stopped process still owns its listening socket; once the kernel's accept queue is full, new
    // SYNs are dropped and connect() hangs: a real unreachable-receiver condition on loopback.
    const child = spawn(process.execPath, [
      "-e",
      "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))",
    ]);
    try {
      const port = await new Promise<number>((resolve) =>
        child.stdout.once("data", (d) => resolve(Number(String(d)))),
      );
      process.kill(child.pid!, "SIGSTOP");
      const fillers: net.Socket[] = [];
      for (;;) {
        const s = net.connect(port, "127.0.0.1");
        fillers.push(s);
        const connected = await new Promise<boolean>((resolve) => {
          s.once("connect", () => resolve(true));
          setTimeout(() => resolve(false), 200);
        });
        if (!connected) break;
        if (fillers.length > 64) throw new Error("accept queue never filled");
      }
      const a = await deliver(
        args(`http://127.0.0.1:${port}/`, { connectTimeoutMs: 250, totalTimeoutMs: 5_000 }),
      );
      for (const s of fillers) s.destroy();
      expect(a.status).toBeNull();
      expect(a.error).toBe("connect timeout after 250 ms");
      expect(a.latencyMs).toBeGreaterThanOrEqual(240);
      expect(a.latencyMs).toBeLessThan(2_000);
      expect(classifyAttempt(a)).toBe("retry");
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("https", () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mailhook-tls-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=receiver.test",
        "-addext",
        "subjectAltName=DNS:receiver.test",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    cert = readFileSync(join(dir, "cert.pem"), "utf8");
    key = readFileSync(join(dir, "key.pem"), "utf8");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function tlsReceiver(): Promise<{ port: number; seen: { servername: string; host: string }[] }> {
    const seen: { servername: string; host: string }[] = [];
    const server = https.createServer({ cert, key }, (req, res) => {
      const socket = req.socket as unknown as { servername?: string | false };
      seen.push({ servername: String(socket.servername), host: req.headers.host ?? "" });
      req.resume();
      req.on("end", () => res.writeHead(200).end("tls ok"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push({
      port: 0,
      requests: [],
      connections: 0,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    return { port: (server.address() as AddressInfo).port, seen };
  }

  it("verifies the certificate: a self-signed receiver is not trusted by default", async () => {
    const r = await tlsReceiver();
    const a = await deliver(args(`https://receiver.test:${r.port}/`, { agents: createDeliveryAgents() }));
    expect(a.status).toBeNull();
    expect(a.error).toMatch(/TLS certificate was not accepted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    expect(classifyAttempt(a)).toBe("retry");
    expect(r.seen).toHaveLength(0);
  });

  it("sends SNI and checks the certificate against the URL's name while connecting to the pinned address", async () => {
    const r = await tlsReceiver();
    const trusting = createDeliveryAgents({ ca: cert });
    try {
      const a = await deliver(args(`https://receiver.test:${r.port}/in`, { agents: trusting }));
      expect(a).toMatchObject({ status: 200, error: null, responsePreview: "tls ok" });
      expect(r.seen).toEqual([{ servername: "receiver.test", host: `receiver.test:${r.port}` }]);

      const wrongName = await deliver(args(`https://other.test:${r.port}/in`, { agents: trusting }));
      expect(wrongName.status).toBeNull();
      expect(wrongName.error).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|does not match/);
    } finally {
      trusting.https.destroy();
    }
  });
});
