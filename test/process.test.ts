import { randomUUID } from "node:crypto";
import { generateKeySpec } from "@mailhook/store";
import { freePort, makeMail } from "@mailhook/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { runService, writeConfig, writeMailboxConfig } from "./support/process.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const world = useWorld();

describe("services as processes", () => {
  it("the api bundle loads its IMAP and MIME stack (a lazy chunk) on first use: a dry run of a posted message", async () => {
    const port = await freePort();
    const admin = `admin-${randomUUID()}-${randomUUID()}`;
    const run = runService("api", {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: "lazyapi",
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
      MAILHOOK_ADMIN_TOKEN: admin,
      API_PORT: String(port),
    });
    try {
      await waitUntil(() => run.stdout().includes('"msg":"api listening"'), 30_000, "api listening");
      const post = async (path: string, token: string, body: unknown) => {
        const r = await fetch(`http://127.0.0.1:${port}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return { status: r.status, body: (await r.json()) as Record<string, unknown> };
      };
      const tenant = await post("/v1/tenants", admin, { name: "lazy" });
      expect(tenant.status).toBe(201);
      const token = await post(`/v1/tenants/${tenant.body.id}/tokens`, admin, { name: "t" });
      expect(token.status).toBe(201);
      const dry = await post("/v1/rules/test", String(token.body.token), {
        eml: "From: Ann <ann@vendor.test>\r\nSubject: Invoice #4711\r\n\r\nhello\r\n",
        rules: [
          {
            name: "invoices",
            when: { field: "subject", op: "contains", value: "invoice" },
            actions: [{ type: "webhook", endpoint: "anything" }],
          },
        ],
      });
      expect(dry.status).toBe(200);
      expect(dry.body.messages).toMatchObject([
        { message: { subject: "Invoice #4711", parsedFrom: "source" }, results: [{ matched: true }] },
      ]);
    } finally {
      run.child.kill("SIGTERM");
      expect(await run.exited).toBe(0);
    }
  });

  it("exits non-zero on a malformed mailhook.yaml, naming the file, the path and the reason", async () => {
    const file = writeConfig(`version: 1
mailboxes:
  - id: support
    host: imap.example.test
    port: 99999
    user: support
    password: \${MISSING_PASSWORD_VAR}
endpoints: []
rules: []
`);
    const run = runService("watcher", {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: "badcfg",
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
      MAILHOOK_CONFIG: file,
    });
    const code = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stderr()).toContain("mailboxes[0].port");
    expect(run.stderr()).toContain("mailboxes[0].password");
    expect(run.stderr()).toContain("MISSING_PASSWORD_VAR");
    expect(run.stderr()).toContain(file);
  });

  it("refuses at start a config endpoint the outbound policy would refuse, naming the entry and the setting", async () => {
    const user = await world.dovecot.createUser("refused");
    const file = writeMailboxConfig({
      imapPort: world.dovecot.port,
      user: user.user,
      url: `${world.receiver.url}/refused`,
    });
    // IMAP to the loopback Dovecot is allowed, webhooks to the loopback receiver are not.
    const run = runService("watcher", {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: "refusedcfg",
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
      MAILHOOK_CONFIG: file,
      TEST_IMAP_PASSWORD: user.pass,
      IMAP_ALLOW: "127.0.0.1/32",
    });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain("configuration rejected");
    expect(run.stderr()).toContain("endpoints[0].url");
    expect(run.stderr()).toContain("WEBHOOK_ALLOW");
    expect(run.stderr()).not.toContain("mailboxes[0].host");
    // Nothing was seeded: the refused file never reached the store (only the key-layout marker).
    const r = new Redis(world.redis.url);
    expect((await r.keys("refusedcfg:*")).filter((k) => !k.endsWith(":layout"))).toEqual([]);
    r.disconnect();
  });

  it("runs from a config file end to end, and SIGTERM closes IDLE connections and releases the lease", async () => {
    const user = await world.dovecot.createUser("proc");
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const file = writeMailboxConfig({
      imapPort: world.dovecot.port,
      user: user.user,
      url: `${world.receiver.url}/proc`,
      withSecret: true,
      // A regex rule runs in a rule-pool thread: the bundle must ship the thread's files too.
      regexRule: true,
    });
    const env = {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: "proc",
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
      MAILHOOK_CONFIG: file,
      TEST_IMAP_PASSWORD: user.pass,
      TEST_WEBHOOK_SECRET: secret,
      WEBHOOK_ALLOW: "127.0.0.1/32",
      IMAP_ALLOW: "127.0.0.1/32",
      LOG_LEVEL: "debug",
    };
    const worker = runService("worker", env);
    const watcher = runService("watcher", env);
    const r = new Redis(world.redis.url);
    try {
      await waitUntil(() => /watching folder/.test(watcher.stdout()), 20_000, "watcher to watch INBOX");
      await waitUntil(() => /worker started/.test(worker.stdout()), 20_000, "worker to start");
      await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "from a process" }));
      await waitUntil(() => world.receiver.requests.some((q) => q.path === "/proc"), 15_000, "the webhook");
      expect(await r.get("proc:lease:{default/support}")).not.toBeNull();
      // A double-byte charset through the bundle: its libmime asks iconv-lite for the GBK codec on
      // first use, not at load (scripts/build.mjs, lazyGbk). "中文" and "中文邮件" in GBK.
      const gbk = [
        "From: sender@example.test",
        "To: support@example.test",
        "Subject: =?gbk?B?1tDOxA==?=",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=gbk",
        "Content-Transfer-Encoding: base64",
        "",
        Buffer.from([0xd6, 0xd0, 0xce, 0xc4, 0xd3, 0xca, 0xbc, 0xfe]).toString("base64"),
        "",
      ].join("\r\n");
      await world.dovecot.append(user.user, "INBOX", Buffer.from(gbk));
      await waitUntil(
        () => world.receiver.requests.filter((q) => q.path === "/proc").length >= 2,
        15_000,
        "the GBK webhook",
      );
      const hooks = world.receiver.requests.filter((q) => q.path === "/proc");
      const message = (JSON.parse(String(hooks[1]!.body)) as { message: { subject: string; text: string } })
        .message;
      expect(message.subject).toBe("中文");
      expect(message.text).toContain("中文邮件");

      watcher.child.kill("SIGTERM");
      worker.child.kill("SIGTERM");
      expect(await watcher.exited).toBe(0);
      expect(await worker.exited).toBe(0);
      expect(await r.get("proc:lease:{default/support}")).toBeNull();
      const status = JSON.parse((await r.hget("proc:status:{default/support}", "INBOX")) ?? "{}") as {
        state?: string;
      };
      expect(status.state).toBe("stopped");
      // Credentials never reach the logs, at any level.
      const logs = watcher.stdout() + watcher.stderr() + worker.stdout() + worker.stderr();
      expect(logs).not.toContain(user.pass);
      expect(logs).not.toContain(secret);
    } finally {
      watcher.child.kill("SIGKILL");
      worker.child.kill("SIGKILL");
      r.disconnect();
    }
  });

  it("shares mailboxes between watcher replicas: one owner, and a SIGKILLed owner is taken over", async () => {
    const user = await world.dovecot.createUser("replica");
    const file = writeConfig(`version: 1
mailboxes:
  - id: shared
    host: 127.0.0.1
    port: ${world.dovecot.port}
    tls: none
    user: ${user.user}
    password: \${TEST_IMAP_PASSWORD}
endpoints:
  - id: tickets
    url: ${world.receiver.url}/replica
rules:
  - id: everything
    name: Everything
    actions: [{ type: webhook, endpoint: tickets }]
`);
    const base = {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: "replica",
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
      MAILHOOK_CONFIG: file,
      TEST_IMAP_PASSWORD: user.pass,
      WEBHOOK_ALLOW: "127.0.0.1/32",
      IMAP_ALLOW: "127.0.0.1/32",
      WATCHER_LEASE_TTL_MS: "2000",
      WATCHER_RECONCILE_MS: "300",
      LOG_LEVEL: "debug",
    };
    const worker = runService("worker", base);
    const a = runService("watcher", { ...base, WATCHER_ID: "replica-a" });
    const b = runService("watcher", { ...base, WATCHER_ID: "replica-b" });
    const r = new Redis(world.redis.url);
    const hits = () => world.receiver.requests.filter((q) => q.path === "/replica");
    try {
      await waitUntil(() => /watching folder/.test(a.stdout() + b.stdout()), 20_000, "one replica to watch");
      await waitUntil(() => /worker started/.test(worker.stdout()), 20_000, "worker to start");
      // Both replicas are up and reconciling; exactly one holds the mailbox.
      await waitUntil(
        () => /watcher started/.test(a.stdout()) && /watcher started/.test(b.stdout()),
        20_000,
        "both replicas",
      );
      // The replica rendezvous hashing picks holds the lease (the other may have held it until it
      // saw that replica, then handed it over), and the status is written by that holder.
      const status = async () =>
        JSON.parse((await r.hget("replica:status:{default/shared}", "INBOX")) ?? "{}") as {
          state?: string;
          owner?: string;
        };
      let lease = "";
      await waitUntil(
        async () => {
          lease = (await r.get("replica:lease:{default/shared}")) ?? "";
          const st = await status();
          return st.state === "connected" && lease.startsWith(`${st.owner}.`);
        },
        20_000,
        "the lease holder to be connected",
      );
      const owner = lease.startsWith("replica-a.") ? a : b;
      const otherId = owner === a ? "replica-b" : "replica-a";
      expect(lease).toMatch(/^replica-[ab]\./);

      await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "to the first owner" }));
      await waitUntil(() => hits().length === 1, 15_000, "first webhook");

      owner.child.kill("SIGKILL");
      await owner.exited;
      await waitUntil(
        async () => ((await r.get("replica:lease:{default/shared}")) ?? "").startsWith(`${otherId}.`),
        10_000,
        "the other replica to take over",
      );
      await waitUntil(
        async () => (await status()).state === "connected" && (await status()).owner === otherId,
        10_000,
        "the other replica to watch",
      );
      await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "after the takeover" }));
      await waitUntil(() => hits().length === 2, 15_000, "second webhook");
      await new Promise((res) => setTimeout(res, 1_000));
      const subjects = hits().map(
        (q) => (JSON.parse(q.body) as { message: { subject: string } }).message.subject,
      );
      expect(subjects).toEqual(["to the first owner", "after the takeover"]);
    } finally {
      for (const p of [a, b, worker]) p.child.kill("SIGKILL");
      r.disconnect();
    }
  });
});

describe("one Redis prefix, one installation", () => {
  it("refuses a second installation under the same prefix, naming MAILHOOK_PREFIX", async () => {
    const env = {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: "shared",
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
    };
    const first = runService("worker", { ...env, MAILHOOK_INSTALL_ID: "install-one" });
    await waitUntil(() => /worker started/.test(first.stdout()), 20_000, "the first installation");
    // The same installation again (a second replica) is welcome.
    const replica = runService("worker", { ...env, MAILHOOK_INSTALL_ID: "install-one" });
    await waitUntil(() => /worker started/.test(replica.stdout()), 20_000, "a replica");
    const other = runService("worker", { ...env, MAILHOOK_INSTALL_ID: "install-two" });
    try {
      expect(await other.exited).toBe(2);
      expect(other.stderr()).toContain('another mailhook installation under the prefix "shared"');
      expect(other.stderr()).toContain("MAILHOOK_PREFIX=shared2");
      expect(other.stdout()).not.toContain("worker started");
    } finally {
      for (const r of [first, replica, other]) r.child.kill("SIGKILL");
    }
  });
});
