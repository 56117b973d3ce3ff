import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  freePort,
  makeMail,
  startDovecot,
  startReceiver,
  startRedis,
  startTcpProxy,
  type TestDovecot,
  type TestRedis,
} from "@mailhook/testing";
import { build } from "esbuild";
import { ImapFlow } from "imapflow";
import { Redis } from "ioredis";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

const testDir = fileURLToPath(new URL(".", import.meta.url));

function timeout(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await timeout(50);
  }
  return check();
}

describe("freePort", () => {
  it("returns distinct ports that a server can bind on 127.0.0.1", async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) {
      expect(port).toBeGreaterThan(1023);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("startRedis", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  it("answers PING on its own port and stops for good", async () => {
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    expect(await client.ping()).toBe("PONG");
    await client.set("k", "v");
    expect(await client.get("k")).toBe("v");
    await client.quit();

    const other = await startRedis();
    expect(other.port).not.toBe(redis.port);
    await other.stop();
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: other.port });
      socket.once("connect", () => resolve("connected"));
      socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});

describe("startDovecot", () => {
  let dovecot: TestDovecot;
  beforeAll(async () => {
    dovecot = await startDovecot();
  });
  afterAll(() => dovecot.stop());

  it("logs in a created user and refuses a wrong password", async () => {
    const alice = await dovecot.createUser("alice");
    const bob = await dovecot.createUser("alice");
    expect(bob.user).not.toBe(alice.user);

    const client = await dovecot.client(alice);
    expect(client.authenticated).toBeTruthy();
    const inbox = await client.mailboxOpen("INBOX");
    expect(inbox.exists).toBe(0);
    await client.logout();

    const wrong = new ImapFlow({
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: alice.user, pass: `${alice.pass}x` },
      logger: false,
    });
    wrong.on("error", () => {});
    await expect(wrong.connect()).rejects.toMatchObject({ authenticationFailed: true });
    // imap-login logs the failure when the connection closes, a moment after the NO.
    const logged = () => /auth failed.*user=<([^>]+)>/.exec(dovecot.readLog())?.[1] === alice.user;
    expect(await waitUntil(logged, 3_000)).toBe(true);
  });

  it("serves implicit TLS with a certificate valid for 127.0.0.1", async () => {
    const user = await dovecot.createUser("tls");
    const client = new ImapFlow({
      host: dovecot.host,
      port: dovecot.tlsPort,
      secure: true,
      tls: { ca: [readFileSync(dovecot.certPath)] },
      auth: user,
      logger: false,
    });
    client.on("error", () => {});
    await client.connect();
    expect(client.secureConnection).toBe(true);
    await client.logout();

    const viaHarness = await dovecot.client(user, { tls: true });
    expect(viaHarness.secureConnection).toBe(true);
    await viaHarness.logout();
  });

  it("pushes an APPENDed message to a second, IDLEing client", async () => {
    const user = await dovecot.createUser("idle");
    const watcher = await dovecot.client(user);
    await watcher.mailboxOpen("INBOX");
    const exists = new Promise<{ count: number; prevCount: number }>((resolve) =>
      watcher.on("exists", resolve),
    );
    void watcher.idle().catch(() => {});

    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "pushed" }), ["\\Seen"]);
    const event = await Promise.race([exists, timeout(5_000)]);
    expect(event).toMatchObject({ count: 1, prevCount: 0 });

    const reader = await dovecot.client(user.user);
    await reader.mailboxOpen("INBOX");
    const msg = await reader.fetchOne("1", { envelope: true, flags: true });
    if (!msg) throw new Error("message 1 not found");
    expect(msg.envelope?.subject).toBe("pushed");
    expect([...(msg.flags ?? [])]).toContain("\\Seen");
    await reader.logout();
    await watcher.logout();
  });

  it("seeds folders with doveadm and recreates them with a new UIDVALIDITY", async () => {
    const user = await dovecot.createUser("seed");
    await dovecot.save(user.user, "Archive/2024", await makeMail({ subject: "a" }));
    await dovecot.save(user.user, "Archive/2024", await makeMail({ subject: "b" }));
    await dovecot.append(user.user, "New", "Subject: raw\r\n\r\nbody\r\n");
    await dovecot.appendMany(
      user.user,
      "Bulk",
      await Promise.all([1, 2, 3].map((n) => makeMail({ subject: `bulk ${n}` }))),
    );
    await dovecot.createFolder(user.user, "Empty");
    await dovecot.createFolder(user.user, "Empty");

    const client = await dovecot.client(user);
    const status = async (path: string) => {
      const result = await client.status(path, { messages: true, uidValidity: true });
      if (!result) throw new Error(`no STATUS for ${path}`);
      return result;
    };
    const before = await status("Archive/2024");
    expect(before.messages).toBe(2);
    expect((await status("New")).messages).toBe(1);
    expect((await status("Empty")).messages).toBe(0);
    expect((await status("Bulk")).messages).toBe(3);

    await dovecot.deleteFolder(user.user, "Archive/2024");
    await expect(status("Archive/2024")).rejects.toThrow();
    await dovecot.createFolder(user.user, "Archive/2024");
    const after = await status("Archive/2024");
    expect(after.messages).toBe(0);
    expect(after.uidValidity).not.toBe(before.uidValidity);
    await client.logout();
  });

  it.skipIf(process.getuid?.() !== 0 || !existsSync("/usr/bin/unshare"))(
    "tells how to install Dovecot when it is missing",
    async (ctx) => {
      // A private mount namespace hides /usr/sbin (where dovecot lives) from this child only.
      const script = `
        import { startDovecot } from "@mailhook/testing";
        try { await startDovecot(); console.log("started"); } catch (err) { console.log(err.message); }
      `;
      const node = process.execPath;
      const child = spawn(
        "/usr/bin/unshare",
        [
          "-m",
          "sh",
          "-c",
          'mount -t tmpfs none /usr/sbin && exec "$0" "$@"',
          node,
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          script,
        ],
        { cwd: testDir, stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      await new Promise((resolve) => child.once("exit", resolve));
      // No mount namespaces here (a container, or a sandbox that forbids them): nothing to test with.
      if (/unshare failed|Operation not permitted|cannot change root filesystem propagation/.test(out))
        ctx.skip();
      expect(out).toContain("dovecot is not installed: run `node scripts/ensure-dovecot.mjs`");
    },
  );

  it("applies a capability override", async () => {
    const limited = await startDovecot({ capabilities: "IMAP4rev1 IDLE LITERAL+ SASL-IR AUTH=PLAIN" });
    try {
      const user = await limited.createUser();
      const client = await limited.client(user);
      // The override replaces the post-login list, so MOVE and UIDPLUS are gone.
      expect(client.capabilities.has("IDLE")).toBe(true);
      expect(client.capabilities.has("MOVE")).toBe(false);
      expect(client.capabilities.has("UIDPLUS")).toBe(false);
      await client.logout();
    } finally {
      await limited.stop();
    }
    expect(existsSync(limited.dir)).toBe(false);
  });

  it("survives kill() and start(): same ports, mail kept, connections dropped meanwhile", async () => {
    const user = await dovecot.createUser("crash");
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "before crash" }));
    const { port, tlsPort } = dovecot;
    const client = await dovecot.client(user);
    await client.mailboxOpen("INBOX");
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));

    await dovecot.kill();
    expect(await Promise.race([closed.then(() => "closed"), timeout(3_000)])).toBe("closed");
    await expect(client.noop()).rejects.toThrow();
    // Refused, or reset when the connect races the listener's last moments: either way, down.
    const err = await dovecot.client(user).then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    expect(["ECONNREFUSED", "ECONNRESET"]).toContain(err?.code);

    await dovecot.start();
    expect(dovecot.port).toBe(port);
    expect(dovecot.tlsPort).toBe(tlsPort);
    const again = await dovecot.client(user.user);
    const inbox = await again.mailboxOpen("INBOX");
    expect(inbox.exists).toBe(1);
    const msg = await again.fetchOne("1", { envelope: true });
    if (!msg) throw new Error("message 1 not found");
    expect(msg.envelope?.subject).toBe("before crash");
    await again.logout();
  });
});

describe("startTcpProxy", () => {
  let dovecot: TestDovecot;
  beforeAll(async () => {
    dovecot = await startDovecot();
  });
  afterAll(() => dovecot.stop());

  function connectVia(port: number, user: { user: string; pass: string }): Promise<ImapFlow> {
    return dovecot.client(user, { port, imapflow: { disableAutoIdle: true } });
  }

  it("counts the bytes of a fetch in both directions", async () => {
    const user = await dovecot.createUser("proxy");
    const attachment = Buffer.alloc(200_000, 7);
    const raw = await makeMail({
      subject: "counted",
      attachments: [{ filename: "blob.bin", contentType: "application/octet-stream", content: attachment }],
    });
    await dovecot.append(user.user, "INBOX", raw);
    const proxy = await startTcpProxy({ host: dovecot.host, port: dovecot.port });
    try {
      const client = await connectVia(proxy.port, user);
      await client.mailboxOpen("INBOX");
      expect(proxy.bytesFromTarget()).toBeGreaterThan(0);
      expect(proxy.bytesToTarget()).toBeGreaterThan(0);
      expect(proxy.connections()).toBe(1);

      proxy.resetCounters();
      expect(proxy.bytesFromTarget()).toBe(0);
      await client.fetchOne("1", { envelope: true });
      const small = proxy.bytesFromTarget();
      expect(small).toBeGreaterThan(0);
      expect(small).toBeLessThan(10_000);

      proxy.resetCounters();
      const full = await client.fetchOne("1", { source: true });
      if (!full) throw new Error("message 1 not found");
      expect(full.source?.length).toBe(raw.length);
      // The whole message crossed the proxy, plus a little IMAP framing.
      expect(proxy.bytesFromTarget()).toBeGreaterThanOrEqual(raw.length);
      expect(proxy.bytesFromTarget()).toBeLessThan(raw.length + 1_000);
      await client.logout();
    } finally {
      await proxy.stop();
    }
  });

  it("blackhole() silences a connection until lifted; dropAll() closes it", async () => {
    const user = await dovecot.createUser("blackhole");
    const proxy = await startTcpProxy({ host: dovecot.host, port: dovecot.port });
    try {
      const client = await connectVia(proxy.port, user);
      await client.mailboxOpen("INBOX");
      const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));

      proxy.blackhole(true);
      proxy.resetCounters();
      const noop = client.noop();
      noop.catch(() => {});
      expect(await Promise.race([noop.then(() => "answered"), timeout(1_500)])).toBe("timeout");
      expect(proxy.bytesFromTarget()).toBe(0);
      expect(proxy.bytesToTarget()).toBe(0);
      expect(proxy.connections()).toBe(1);

      // existingOnly: the dead link stays dead, a new connection works.
      proxy.blackhole(true, { existingOnly: true });
      const fresh = await connectVia(proxy.port, user);
      await fresh.noop();
      await fresh.logout();

      proxy.dropAll();
      expect(await Promise.race([closed.then(() => "closed"), timeout(3_000)])).toBe("closed");
      expect(proxy.connections()).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it("applies flow control: a client that stops reading stops the transfer", async () => {
    const user = await dovecot.createUser("flow");
    const raw = await makeMail({
      attachments: [
        {
          filename: "big.bin",
          contentType: "application/octet-stream",
          content: Buffer.alloc(16 * 1024 * 1024, 1),
        },
      ],
    });
    await dovecot.append(user.user, "INBOX", raw);
    const proxy = await startTcpProxy({ host: dovecot.host, port: dovecot.port });
    const socket = connect({ host: "127.0.0.1", port: proxy.port });
    try {
      let seen = "";
      const onData = (chunk: Buffer) => {
        seen += chunk.toString("latin1");
      };
      socket.on("data", onData);
      const until = async (text: string) => {
        expect(await waitUntil(() => seen.includes(text), 5_000)).toBe(true);
      };
      await until("ready.");
      socket.write(`a LOGIN ${user.user} ${user.pass}\r\n`);
      await until("a OK");
      socket.write("b SELECT INBOX\r\n");
      await until("b OK");
      socket.off("data", onData);
      socket.pause();
      proxy.resetCounters();
      socket.write("c FETCH 1 BODY.PEEK[]\r\n");
      await timeout(1_000);
      // Kernel socket buffers take a few MB; the rest must wait for the reader.
      expect(proxy.bytesFromTarget()).toBeGreaterThan(0);
      expect(proxy.bytesFromTarget()).toBeLessThan(raw.length / 2);
    } finally {
      socket.destroy();
      await proxy.stop();
    }
  });

  it("blackhole(false) lets a paused connection talk again", async () => {
    const user = await dovecot.createUser("resume");
    const proxy = await startTcpProxy({ host: dovecot.host, port: dovecot.port });
    try {
      const client = await connectVia(proxy.port, user);
      proxy.blackhole(true);
      await timeout(100);
      proxy.blackhole(false);
      // Nothing was sent while dark, so the IMAP stream is still in step.
      const inbox = await client.mailboxOpen("INBOX");
      expect(inbox.exists).toBe(0);
      await client.logout();
    } finally {
      await proxy.stop();
    }
  });
});

describe("startReceiver", () => {
  it("records requests and answers with the configured status and delay", async () => {
    const receiver = await startReceiver();
    try {
      const res = await fetch(`${receiver.url}/hooks/a?x=1`, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": "msg_1" },
        body: JSON.stringify({ hello: "wörld" }),
      });
      expect(res.status).toBe(200);
      const [req] = await receiver.waitFor(1);
      expect(req).toMatchObject({
        method: "POST",
        path: "/hooks/a?x=1",
        body: '{"hello":"wörld"}',
        headers: { "content-type": "application/json", "webhook-id": "msg_1" },
      });
      expect(Math.abs((req?.at ?? 0) - Date.now())).toBeLessThan(5_000);

      receiver.setHandler(async (r) => ({
        status: 503,
        headers: { "retry-after": "7" },
        body: `busy ${r.path}`,
        delayMs: 400,
      }));
      const started = Date.now();
      const slow = await fetch(`${receiver.url}/b`, { method: "POST", body: "x" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
      expect(slow.status).toBe(503);
      expect(slow.headers.get("retry-after")).toBe("7");
      expect(await slow.text()).toBe("busy /b");
      expect(receiver.requests.map((r) => r.path)).toEqual(["/hooks/a?x=1", "/b"]);

      await expect(receiver.waitFor(3, 200)).rejects.toThrow(/2 of 3/);
      receiver.clear();
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await receiver.stop();
    }
  });

  it("waitFor resolves when a later request arrives; the option handler is used", async () => {
    const receiver = await startReceiver({ handler: () => ({ status: 410 }) });
    try {
      const waiting = receiver.waitFor(2, 5_000);
      const statuses = await Promise.all([
        fetch(receiver.url, { method: "POST", body: "1" }).then((r) => r.status),
        fetch(receiver.url, { method: "POST", body: "2" }).then((r) => r.status),
      ]);
      expect(statuses).toEqual([410, 410]);
      expect((await waiting).map((r) => r.body).sort()).toEqual(["1", "2"]);
    } finally {
      await receiver.stop();
    }
  });
});

describe("makeMail", () => {
  it("builds MIME with a 1 MB attachment that mailparser reads back intact", async () => {
    const content = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) % 256;
    const raw = await makeMail({
      from: "Ann <ann@example.test>",
      to: "ops@example.test",
      subject: "Rechnung Nr. 42 – fällig",
      text: "Grüße",
      html: "<p>Grüße</p>",
      headers: { "X-Ticket": "42" },
      attachments: [{ filename: "invoice.pdf", contentType: "application/pdf", content }],
      messageId: "<fixed@example.test>",
    });
    expect(raw.length).toBeGreaterThan(content.length);

    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe("Rechnung Nr. 42 – fällig");
    expect(parsed.from?.text).toBe('"Ann" <ann@example.test>');
    expect(parsed.text?.trim()).toBe("Grüße");
    expect(parsed.html).toContain("<p>Grüße</p>");
    expect(parsed.messageId).toBe("<fixed@example.test>");
    expect(parsed.headers.get("x-ticket")).toBe("42");
    expect(parsed.attachments).toHaveLength(1);
    const [att] = parsed.attachments;
    expect(att?.filename).toBe("invoice.pdf");
    expect(att?.contentType).toBe("application/pdf");
    expect(att?.content.equals(content)).toBe(true);
  });
});

describe("cleanup", () => {
  // Runs the harness in a child process that never calls stop(), then checks what it left behind.
  async function runChild(end: "exit" | "sigkill"): Promise<{ pids: number[]; dir: string }> {
    const script = `
      import { execFileSync } from "node:child_process";
      import { startDovecot, startRedis } from "@mailhook/testing";
      const d = await startDovecot();
      const r = await startRedis();
      // Only this child's servers: the groups led by its dovecot master and its redis-server.
      const rows = execFileSync("ps", ["-eo", "pid=,pgid=,args="]).toString().trim().split("\\n")
        .map((l) => l.trim().split(/\\s+/)).map(([pid, pgid, ...args]) => ({ pid: Number(pid), pgid: Number(pgid), args: args.join(" ") }));
      const leaders = rows.filter((p) => p.args.includes(d.configPath) || p.args.includes("redis-server 127.0.0.1:" + r.port)).map((p) => p.pgid);
      const pids = rows.filter((p) => leaders.includes(p.pgid)).map((p) => p.pid);
      process.stdout.write(JSON.stringify({ pids, groups: leaders.length, dir: d.dir }) + "\\n");
      ${end === "exit" ? "process.exit(3);" : "setInterval(() => {}, 1000);"}
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: testDir,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
      });
      child.once("exit", (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    const info = JSON.parse(line) as { pids: number[]; groups: number; dir: string };
    expect(info.groups).toBe(2);
    if (end === "sigkill") child.kill("SIGKILL");
    await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(null)));
    return info;
  }

  it("an exiting test process takes its servers and temp dirs with it", async () => {
    const { pids, dir } = await runChild("exit");
    expect(pids.length).toBeGreaterThan(0);
    expect(await waitUntil(() => pids.every((pid) => !alive(pid)), 3_000)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it("a SIGKILLed test process is cleaned up by the watchdog", async () => {
    const { pids, dir } = await runChild("sigkill");
    expect(pids.some((pid) => alive(pid))).toBe(true);
    expect(await waitUntil(() => pids.every((pid) => !alive(pid)), 5_000)).toBe(true);
    expect(await waitUntil(() => !existsSync(dir), 3_000)).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0 || !existsSync("/usr/bin/setpriv"))(
    "works for a non-root user too (Dovecot runs as that user)",
    async () => {
      const script = `
        import { startDovecot, makeMail } from "@mailhook/testing";
        const d = await startDovecot();
        const u = await d.createUser("rootless");
        await d.append(u.user, "INBOX", await makeMail({ subject: "imap" }));
        await d.save(u.user, "Seeded", await makeMail({ subject: "doveadm" }));
        const c = await d.client(u, { tls: true });
        const inbox = await c.status("INBOX", { messages: true });
        const seeded = await c.status("Seeded", { messages: true });
        await c.logout();
        await d.stop();
        process.stdout.write(JSON.stringify({ uid: process.getuid(), inbox: inbox.messages, seeded: seeded.messages }) + "\\n");
      `;
      // uid 65534 may not be able to enter the clone (a home dir of mode 700, /root): the script
      // runs as one bundle from a world-readable temp dir instead of through the repository.
      const runDir = mkdtempSync(join(tmpdir(), "mailhook-rootless-"));
      chmodSync(runDir, 0o755);
      const bundle = join(runDir, "rootless.mjs");
      await build({
        stdin: { contents: script, resolveDir: testDir, loader: "ts" },
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        outfile: bundle,
        banner: {
          js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
        },
        logLevel: "error",
      });
      chmodSync(bundle, 0o644);
      const child = spawn(
        "/usr/bin/setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, bundle],
        { cwd: runDir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HOME: "/tmp" } },
      );
      onTestFinished(() => rmSync(runDir, { recursive: true, force: true }));
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        err += chunk.toString();
      });
      const code = await new Promise((resolve) => child.once("exit", resolve));
      expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
      expect(JSON.parse(out.trim())).toEqual({ uid: 65534, inbox: 1, seeded: 1 });
    },
  );
});
