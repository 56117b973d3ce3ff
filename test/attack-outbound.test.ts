import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { refreshMailbox } from "@mailhook/api";
import { createOutboundPolicy, createResolver, type OutboundPolicy } from "@mailhook/net";
import { createProducer } from "@mailhook/queue";
import { createMailboxOAuth, createTenantOutbound } from "@mailhook/store";
import { freePort, makeMail } from "@mailhook/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness } from "./support/api.js";
import { startDns, startTrap, type TestDns, type Trap } from "./support/dns-server.js";
import { endpointFor, mailboxFor, rules, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

// Issue 9, findings 1 and 2 and the outbound Low items, as attacks. "Public" and "internal" are
// modelled on loopback: 127.0.0.1 (Dovecot) and 127.0.0.2 are what the operator allowed, 127.0.0.3
// is the internal network. The names resolve through a real DNS server the test runs and whose
// answers it changes between lookups (rebinding).

const world = useWorld();
let dns: TestDns;
let imapTrap: Trap;
const closers: (() => Promise<void>)[] = [];

/** An HTTP server on one loopback address that records what reaches it. */
async function httpOn(
  host: string,
  port: number,
  answer: (path: string) => [number, string] = () => [200, "ok"],
) {
  const hits: { path: string; body: string; local: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      hits.push({ path: req.url ?? "", body, local: req.socket.localAddress ?? "" });
      const [status, text] = answer(req.url ?? "");
      res.writeHead(status, { "content-type": "application/json" }).end(text);
    });
  });
  let connections = 0;
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, hits, connections: () => connections };
}

/** The same port on 127.0.0.2 (allowed) and 127.0.0.3 (internal): only DNS tells them apart. */
async function twins(answer?: (path: string) => [number, string]) {
  for (;;) {
    const port = await freePort();
    try {
      return {
        port,
        good: await httpOn("127.0.0.2", port, answer),
        evil: await httpOn("127.0.0.3", port, answer),
      };
    } catch {
      // taken on one of the two addresses: try another port
    }
  }
}

function policy(extra: { http?: string[]; imap?: string[] } = {}): OutboundPolicy {
  return createOutboundPolicy({
    allow: {
      http: ["127.0.0.2", `127.0.0.1:${new URL(world.receiver.url).port}`, ...(extra.http ?? [])],
      imap: [`127.0.0.1:${world.dovecot.port}`, ...(extra.imap ?? [])],
    },
    resolve: createResolver({ servers: [dns.server] }),
  });
}

beforeAll(async () => {
  dns = await startDns();
  // The "internal IMAP server": the same port as Dovecot on the internal address, relaying to it,
  // so a watcher that reached it would log in and read another account's mail.
  imapTrap = await startTrap("127.0.0.3", world.dovecot.port, {
    host: "127.0.0.1",
    port: world.dovecot.port,
  });
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await imapTrap?.stop();
  await dns?.stop();
});

function harness(
  outbound: OutboundPolicy,
  stack?: {
    prefix: string;
    store: ApiHarness["store"];
    redis: ApiHarness["redis"];
    secrets: ApiHarness["secrets"];
  },
) {
  const api = new ApiHarness({
    redisUrl: world.redis.url,
    deps: { outbound },
    ...(stack ? { shared: stack } : {}),
  });
  closers.push(() => api.stop());
  return api;
}

describe("webhooks", () => {
  it("a name allowed at save that rebinds later: the attempt goes to the checked address, never the internal one", async () => {
    const { port, good, evil } = await twins();
    const outbound = policy();
    const stack = world.stack({ outbound });
    const api = harness(outbound, stack);
    const { token } = await api.tenant("hooks");
    const name = "hook.attacker.test";

    dns.set("nx.attacker.test", null);
    const nx = await api.json("POST", "/v1/endpoints", token, { url: `http://nx.attacker.test:${port}/in` });
    expect(nx.status).toBe(422);
    expect(nx.body.error.message).toMatch(/does not resolve to an allowed address.*WEBHOOK_ALLOW/);

    dns.set(name, [["127.0.0.2"]]);
    const saved = await api.json("POST", "/v1/endpoints", token, { url: `http://${name}:${port}/in` });
    expect(saved.status).toBe(201);
    // The delivery path: the endpoint, a rule and a mailbox of the stack's tenant.
    const user = await world.dovecot.createUser("rebind-hook");
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, "mbx"));
    await stack.store.putEndpoint(endpointFor(`http://${name}:${port}/in`, "hook"));
    await stack.store.putRules(
      "default",
      rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
    );
    await stack.start();
    await stack.waitForState("mbx", "INBOX", "connected");

    // First lookup answers the allowed address, every later one the internal address: a second
    // lookup anywhere between check and connect would send the webhook to 127.0.0.3.
    dns.set(name, [["127.0.0.2"], ["127.0.0.3"]]);
    const before = dns.queries(name);
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "one" }));
    await waitUntil(() => good.hits.length === 1, 20_000, "delivery to the checked address");
    expect(good.hits[0]?.local).toBe("127.0.0.2");
    expect(dns.queries(name) - before).toBe(1);
    expect(evil.connections()).toBe(0);

    // Now the name points inside: refused at the attempt, and the record does not say where.
    dns.set(name, [["127.0.0.3"]]);
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "two" }));
    const failed = async () => {
      const recs = await Promise.all(
        (await stack.store.listDeliveryIds("default")).map((id) => stack.store.getDelivery(id)),
      );
      return recs.find((r) => r?.status === "failed");
    };
    await waitUntil(async () => (await failed()) !== undefined, 20_000, "the refused delivery");
    const rec = await failed();
    expect(rec?.lastError).toMatch(
      /^destination not allowed: hook\.attacker\.test does not resolve to an allowed address/,
    );
    expect(JSON.stringify(rec)).not.toContain("127.0.0.3");
    expect(stack.logs.text()).toMatch(/hook\.attacker\.test resolves to 127\.0\.0\.3, which is loopback/);
    expect(evil.connections()).toBe(0);
    expect(good.hits).toHaveLength(1);
  });

  it("an allowed address admits only its listed port, and forwarding or hop-by-hop headers are refused", async () => {
    const api = harness(
      createOutboundPolicy({ allow: { http: ["127.0.0.2:8080"] }, resolve: async () => [] }),
    );
    const { token } = await api.tenant("ports");
    expect((await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.2:8080/in" })).status).toBe(
      201,
    );
    const redis = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.2:6379/" });
    expect(redis.status).toBe(422);
    expect(redis.body.error.message).toMatch(/127\.0\.0\.2 is loopback.*WEBHOOK_ALLOW/);
    for (const header of [
      "X-Forwarded-For",
      "Forwarded",
      "Upgrade",
      "Expect",
      "Content-Encoding",
      "Keep-Alive",
      "Connection",
      "Transfer-Encoding",
      "Host",
      "TE",
      "Proxy-Authorization",
    ]) {
      const r = await api.json("POST", "/v1/endpoints", token, {
        url: "http://127.0.0.2:8080/in",
        headers: { [header]: "x" },
      });
      expect(r.status, header).toBe(400);
      expect(r.body.error.details).toEqual([
        { path: `body.headers.${header}`, reason: expect.stringContaining(header) },
      ]);
    }
  });
});

describe("per-tenant allow-list", () => {
  it("is the operator's to set, widens only that tenant, and goes with the tenant", async () => {
    const api = harness(
      createOutboundPolicy({
        resolve: async () => [],
        tenantAllow: (t) => createTenantOutbound({ redis: api.redis, prefix: api.prefix }).get(t),
      }),
    );
    const a = await api.tenant("allowed");
    const b = await api.tenant("other");
    const url = { url: "http://127.0.0.2:8080/in" };
    expect((await api.json("POST", "/v1/endpoints", a.token, url)).status).toBe(422);
    const path = `/v1/tenants/${a.tenantId}/outbound-allow`;
    const body = { webhookAllow: ["127.0.0.2:8080"], imapAllow: [] };
    // A tenant's own token cannot set it.
    expect((await api.json("PUT", path, a.token, body)).status).toBe(403);
    const bad = await api.json("PUT", path, ADMIN_TOKEN, { webhookAllow: ["10.0.0.0/33"], imapAllow: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      { path: "body.webhookAllow[0]", reason: expect.stringMatching(/10\.0\.0\.0\/33/) },
    ]);
    expect((await api.json("PUT", path, ADMIN_TOKEN, body)).status).toBe(200);
    expect((await api.call("GET", path, { token: ADMIN_TOKEN })).body).toEqual(body);
    expect((await api.json("POST", "/v1/endpoints", a.token, url)).status).toBe(201);
    expect((await api.json("POST", "/v1/endpoints", b.token, url)).status).toBe(422);
    expect(
      (await api.call("DELETE", `/v1/tenants/${a.tenantId}`, { token: ADMIN_TOKEN })).status,
    ).toBeLessThan(300);
    expect(await createTenantOutbound({ redis: api.redis, prefix: api.prefix }).get(a.tenantId)).toBeNull();
  });
});

describe("IMAP", () => {
  const name = "imap.attacker.test";
  const tlsName = "tls.attacker.test";

  it("api: verify logs in at the checked address; test after a rebinding and NXDOMAIN at save are refused", async () => {
    const api = harness(policy());
    const { token } = await api.tenant("imap-api");
    const user = await world.dovecot.createUser("rebind-api");
    const body = (host: string) => ({
      address: `${user.user}@example.test`,
      host,
      port: world.dovecot.port,
      tls: "none",
      auth: { type: "password", user: user.user, password: user.pass },
      folders: ["INBOX"],
    });
    dns.set(name, [["127.0.0.1"], ["127.0.0.3"]]);
    const before = dns.queries(name);
    const saved = await api.json("POST", "/v1/mailboxes?verify=true", token, body(name));
    expect(saved.status, saved.text).toBe(201);
    expect(dns.queries(name) - before).toBe(1);
    expect(imapTrap.connections()).toBe(0);

    const t = await api.call("POST", `/v1/mailboxes/${saved.body.id}/test`, { token });
    expect(t.status).toBe(422);
    expect(t.body.error.code).toBe("DESTINATION_REFUSED");
    expect(t.text).not.toContain("127.0.0.3");
    expect(imapTrap.connections()).toBe(0);

    dns.set("nx.attacker.test", null);
    const nx = await api.json("POST", "/v1/mailboxes", token, body("nx.attacker.test"));
    expect(nx.status).toBe(422);
    expect(nx.body.error).toMatchObject({ code: "DESTINATION_REFUSED", details: [{ path: "body.host" }] });
    expect(nx.body.error.message).toMatch(/IMAP_ALLOW/);
  });

  it("watcher and worker: a mailbox saved while its name was allowed is never watched or fetched inside", async () => {
    const outbound = policy();
    const stack = world.stack({ outbound });
    const api = harness(outbound, stack);
    const { token, tenantId } = await api.tenant("imap-later");
    const user = await world.dovecot.createUser("rebind-later");
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "someone else's mail" }));
    dns.set(name, [["127.0.0.1"]]);
    const saved = await api.json("POST", "/v1/mailboxes?verify=true", token, {
      address: `${user.user}@example.test`,
      host: name,
      port: world.dovecot.port,
      tls: "none",
      auth: { type: "password", user: user.user, password: user.pass },
      folders: ["INBOX"],
      start: "all",
    });
    expect(saved.status, saved.text).toBe(201);
    dns.set(name, [["127.0.0.3"]]);

    await stack.startWatcher();
    const status = async () => (await stack.store.getFolderStatuses(tenantId, saved.body.id))["INBOX"];
    await waitUntil(async () => (await status())?.state === "error", 15_000, "the watcher's refusal");
    expect((await status())?.lastError).toMatch(
      /^destination not allowed: imap\.attacker\.test .*IMAP_ALLOW/,
    );
    expect(JSON.stringify(await status())).not.toContain("127.0.0.3");

    // The worker, handed a job for that mailbox, refuses too (and does not retry a refusal).
    await stack.startWorker();
    const producer = createProducer("mail.process", {
      connection: { url: world.redis.url, maxRetriesPerRequest: null },
      prefix: stack.prefix,
    });
    closers.push(() => producer.close());
    await stack.store.putRules(
      tenantId,
      rules([{ id: "all", name: "All", actions: [{ type: "flag", add: ["$Seen-By-Attacker"] }] }]),
    );
    await producer.add("job-1", {
      tenantId,
      mailboxId: saved.body.id,
      folder: "INBOX",
      uidValidity: 1,
      uid: 1,
      seenAt: Date.now(),
    });
    await waitUntil(
      async () => (await producer.queue.getJobCounts("failed")).failed === 1,
      20_000,
      "the worker's refusal",
    );
    const job = await producer.queue.getJob("job-1");
    expect(job?.failedReason).toMatch(/destination not allowed/);
    expect(imapTrap.connections()).toBe(0);
  });

  it("watcher and worker: with a rebinding after every lookup, each connection goes to the address that was checked", async () => {
    const outbound = policy();
    const stack = world.stack({ outbound });
    const user = await world.dovecot.createUser("rebind-pin");
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, "mbx", { host: name }));
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/pinned`, "hook"));
    await stack.store.putRules(
      "default",
      rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
    );

    dns.set(name, [["127.0.0.1"], ["127.0.0.3"]]);
    let before = dns.queries(name);
    await stack.startWatcher();
    await stack.waitForState("mbx", "INBOX", "connected");
    expect(dns.queries(name) - before).toBe(1);
    expect(imapTrap.connections()).toBe(0);

    dns.set(name, [["127.0.0.1"], ["127.0.0.3"]]);
    before = dns.queries(name);
    await stack.startWorker();
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "pinned" }));
    await waitUntil(() => world.receiver.requests.some((r) => r.path === "/pinned"), 20_000, "the delivery");
    expect(dns.queries(name) - before).toBe(1);
    expect(imapTrap.connections()).toBe(0);
  });

  it("TLS keeps the mailbox's host name (SNI, certificate check) while the socket goes to the checked address", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailhook-imap-tls-"));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${tlsName}`]
        .concat(["-addext", `subjectAltName=DNS:${tlsName}`])
        .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]),
      { stdio: "ignore" },
    );
    const seen: { servername: string; local: string }[] = [];
    const open = new Set<tls.TLSSocket>();
    const server = tls.createServer(
      { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) },
      (socket) => {
        open.add(socket);
        socket.on("close", () => open.delete(socket));
        seen.push({ servername: String(socket.servername), local: socket.localAddress ?? "" });
        socket.end("* OK [CAPABILITY IMAP4rev1] not quite a server\r\n");
      },
    );
    server.on("tlsClientError", () => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.2", () => r()));
    closers.push(
      () =>
        new Promise<void>((r) => {
          for (const sock of open) sock.destroy();
          server.close(() => r());
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const api = harness(policy({ imap: [`127.0.0.2:${port}`] }));
    const { token } = await api.tenant("imap-tls");
    const save = (tlsVerify: boolean) =>
      api.json("POST", "/v1/mailboxes", token, {
        address: "t@example.test",
        host: tlsName,
        port,
        tls: "implicit",
        tlsVerify,
        auth: { type: "password", user: "u", password: "p" },
        folders: ["INBOX"],
      });
    dns.set(tlsName, [["127.0.0.2"]]);
    const strict = await save(true);
    const lax = await save(false);
    expect([strict.status, lax.status]).toEqual([201, 201]);

    // A second lookup would land on 127.0.0.3, where nothing listens on this port.
    dns.set(tlsName, [["127.0.0.2"], ["127.0.0.3"]]);
    const verified = await api.call("POST", `/v1/mailboxes/${strict.body.id}/test`, { token });
    // The self-signed certificate is refused, and says so; the check ran against the name.
    expect(verified.body.error).toBe(
      "connection failed: the server's TLS certificate was not accepted (DEPTH_ZERO_SELF_SIGNED_CERT)",
    );
    dns.set(tlsName, [["127.0.0.2"], ["127.0.0.3"]]);
    await api.call("POST", `/v1/mailboxes/${lax.body.id}/test`, { token });
    expect(seen.length).toBeGreaterThanOrEqual(1);
    for (const s of seen) expect(s).toEqual({ servername: tlsName, local: "127.0.0.2" });
  });

  it("folder status and mailbox test read the same for a closed port and an open non-IMAP one", async () => {
    // The operator allowed the host on every port: the answers must still not tell ports apart.
    const outbound = createOutboundPolicy({ allow: { imap: ["127.0.0.1"] }, resolve: async () => [] });
    const stack = world.stack({ outbound });
    const api = harness(outbound, stack);
    const { token, tenantId } = await api.tenant("scan");
    const closed = await freePort();
    const chatty = net.createServer((s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const silentClose = net.createServer((s) => s.destroy());
    for (const srv of [chatty, silentClose]) {
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
      closers.push(() => new Promise<void>((r) => srv.close(() => r())));
    }
    const ports = [
      closed,
      (chatty.address() as AddressInfo).port,
      (silentClose.address() as AddressInfo).port,
    ];
    const ids: string[] = [];
    for (const port of ports) {
      const m = await api.json("POST", "/v1/mailboxes", token, {
        address: "scan@example.test",
        host: "127.0.0.1",
        port,
        tls: "none",
        auth: { type: "password", user: "u", password: "p" },
        folders: ["INBOX"],
      });
      expect(m.status, m.text).toBe(201);
      ids.push(m.body.id);
    }
    const tests = await Promise.all(ids.map((id) => api.call("POST", `/v1/mailboxes/${id}/test`, { token })));
    expect(tests.map((t) => t.body.error)).toEqual([
      "connection failed",
      "connection failed",
      "connection failed",
    ]);
    await stack.startWatcher();
    const lastErrors = async () =>
      Promise.all(
        ids.map(async (id) => (await stack.store.getFolderStatuses(tenantId, id))["INBOX"]?.lastError),
      );
    await waitUntil(async () => (await lastErrors()).every((e) => e), 15_000, "three failed folders");
    expect(await lastErrors()).toEqual(["connection failed", "connection failed", "connection failed"]);
    for (const t of tests) expect(t.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:\d{4,5}/);
  });
});

describe("OAuth token endpoints", () => {
  const name = "token.attacker.test";

  it("the refresh goes to the checked address; after a rebinding nothing is sent; answers are not echoed", async () => {
    let generation = 0;
    const { port, good, evil } = await twins((path) =>
      path === "/leaky"
        ? [400, JSON.stringify({ error: "db password is hunter2" })]
        : [
            200,
            JSON.stringify({
              access_token: `at-${++generation}`,
              expires_in: 3600,
              refresh_token: `rt-${generation}`,
            }),
          ],
    );
    const outbound = policy();
    const api = harness(outbound);
    const { token, tenantId } = await api.tenant("oauth");
    const mailbox = (endpoint: string) => ({
      address: "o@example.test",
      host: "127.0.0.1",
      port: world.dovecot.port,
      tls: "none",
      auth: {
        type: "oauth2",
        user: "o",
        refreshToken: "rt-0",
        tokenEndpoint: endpoint,
        clientId: "cid",
        clientSecret: "cs-secret",
      },
      folders: ["INBOX"],
    });

    dns.set(name, [["127.0.0.2"], ["127.0.0.3"]]);
    const before = dns.queries(name);
    const saved = await api.json("POST", "/v1/mailboxes", token, mailbox(`http://${name}:${port}/token`));
    expect(saved.status, saved.text).toBe(201);
    expect(dns.queries(name) - before).toBe(1);
    expect(good.hits).toHaveLength(1);
    expect(good.hits[0]?.local).toBe("127.0.0.2");
    expect(evil.connections()).toBe(0);

    // Rebound inside: the refresher refuses before sending the refresh token or client secret.
    dns.set(name, [["127.0.0.3"]]);
    const oauth = createMailboxOAuth(api.store, api.prefix, api.secrets);
    const refresh = refreshMailbox(
      { store: api.store, oauth, http: { outbound }, log: api.log },
      tenantId,
      saved.body.id,
    );
    await expect(refresh).rejects.toThrow(/token endpoint refused: destination not allowed/);
    await expect(refresh).rejects.not.toThrow(/127\.0\.0\.3/);
    expect(evil.connections()).toBe(0);

    dns.set("nx.attacker.test", null);
    const nx = await api.json(
      "POST",
      "/v1/mailboxes",
      token,
      mailbox(`http://nx.attacker.test:${port}/token`),
    );
    expect(nx.status).toBe(422);
    expect(nx.body.error).toMatchObject({
      code: "DESTINATION_REFUSED",
      details: [{ path: "body.auth.tokenEndpoint" }],
    });

    dns.set(name, [["127.0.0.2"]]);
    const leaky = await api.json("POST", "/v1/mailboxes", token, mailbox(`http://${name}:${port}/leaky`));
    expect(leaky.status).toBe(422);
    expect(leaky.body.error.message).toBe(
      "token endpoint answered 400: no standard OAuth error code in the answer",
    );
    expect(leaky.text).not.toContain("hunter2");
    expect(evil.connections()).toBe(0);
  });
});
