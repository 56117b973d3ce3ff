import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeySpec } from "@mailhook/store";
import { freePort } from "@mailhook/testing";
import { afterAll, describe, expect, it } from "vitest";
import { writeMailboxConfig } from "./support/process.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const world = useWorld();
const root = join(import.meta.dirname, "..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Pids whose command line or environment mentions `marker` (our temp data dir): what npm start left. */
function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    for (const file of ["cmdline", "environ"]) {
      try {
        if (readFileSync(`/proc/${entry}/${file}`, "latin1").includes(marker)) {
          found.push(Number(entry));
          break;
        }
      } catch {
        // Gone meanwhile, or not ours to read.
      }
    }
  }
  return found;
}

async function startMailhook(name: string) {
  const user = await world.dovecot.createUser(name);
  const config = writeMailboxConfig({
    imapPort: world.dovecot.port,
    user: user.user,
    url: `${world.receiver.url}/${name}`,
  });
  const dataDir = mkdtempSync(join(tmpdir(), "mailhook-start-"));
  dirs.push(dataDir);
  const logPath = join(dataDir, "out.log");
  const fd = openSync(logPath, "w");
  // Its own process group, as a terminal gives a foreground job: Ctrl-C signals the whole group.
  const child = spawn("npm", ["start"], {
    cwd: root,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      MAILHOOK_DATA_DIR: dataDir,
      MAILHOOK_LOCAL_REDIS_PORT: String(await freePort()),
      API_PORT: String(await freePort()),
      MAILHOOK_CONFIG: config,
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
      TEST_IMAP_PASSWORD: user.pass,
      WEBHOOK_ALLOW: "127.0.0.1/32",
      IMAP_ALLOW: "127.0.0.1/32",
    },
  });
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const log = () => readFileSync(logPath, "utf8");
  await waitUntil(() => /\[mailhook\] API: +http/.test(log()), 60_000, "npm start to print the API URL");
  await waitUntil(() => /watching folder/.test(log()), 30_000, "the watcher to watch INBOX");
  await waitUntil(() => /"msg":"worker started"/.test(log()), 30_000, "the worker to start");
  return { child, exited, log, dataDir, user };
}

describe("npm start", () => {
  it.each([
    ["Ctrl-C (SIGINT to the whole process group)", "group"],
    ["SIGTERM to the npm process alone", "npm"],
  ] as const)("%s stops services first, then Redis, leaving no process behind", async (_label, target) => {
    const run = await startMailhook(`start-${target}`);
    const pid = run.child.pid!;
    try {
      expect(processesMentioning(run.dataDir).length).toBeGreaterThanOrEqual(4);
      if (target === "group") process.kill(-pid, "SIGINT");
      else process.kill(pid, "SIGTERM");
      await run.exited;
      await waitUntil(() => /\[mailhook\] stopped/.test(run.log()), 60_000, "npm start to stop");
      await waitUntil(() => processesMentioning(run.dataDir).length === 0, 10_000, "every process to end");

      const log = run.log();
      // Each service drained once (a second signal would have made it exit at once).
      expect(log.match(/"msg":"shutting down"/g), log).toHaveLength(3);
      expect(log).toMatch(/"msg":"released mailbox(es)?"/);
      expect(log).not.toContain("shutdown failed");
      // Redis stopped only after the services were done.
      const redisStop = log.indexOf("[mailhook] stopping redis-server");
      expect(redisStop).toBeGreaterThan(log.lastIndexOf('"msg":"watcher stopped"'));
      expect(redisStop).toBeGreaterThan(log.lastIndexOf('"msg":"worker stopped"'));
      // The watcher logged out of IMAP instead of dropping the connection.
      await waitUntil(
        () => new RegExp(`imap\\(${run.user.user}\\).*Logged out`).test(world.dovecot.readLog(400)),
        10_000,
        "Dovecot to log the LOGOUT",
      );
    } finally {
      for (const p of processesMentioning(run.dataDir)) process.kill(p, "SIGKILL");
    }
  });
});

describe("npm start -- --demo", () => {
  it("starts a demo mailbox and receiver, prints the commands, and the send command yields a verified webhook within 10 s", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mailhook-demo-"));
    dirs.push(dataDir);
    const logPath = join(dataDir, "out.log");
    const fd = openSync(logPath, "w");
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      MAILHOOK_DATA_DIR: dataDir,
      MAILHOOK_LOCAL_REDIS_PORT: String(await freePort()),
      API_PORT: String(await freePort()),
    };
    const child = spawn("npm", ["start", "--", "--demo"], {
      cwd: root,
      detached: true,
      stdio: ["ignore", fd, fd],
      env,
    });
    closeSync(fd);
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const log = () => readFileSync(logPath, "utf8");
    try {
      await waitUntil(() => /demo: try it/.test(log()), 90_000, "the demo commands");
      await waitUntil(() => /watching folder/.test(log()), 30_000, "the watcher on the demo mailbox");
      expect(log()).toContain("npm run demo:send");
      const receiver = /curl -s (http:\/\/127\.0\.0\.1:\d+\/hooks)/.exec(log())?.[1];
      expect(receiver).toBeDefined();
      // Only what the demo started is allowed: the file it wrote names loopback only.
      expect(readFileSync(join(dataDir, "demo", "mailhook.yaml"), "utf8")).toContain("host: 127.0.0.1");

      const sent = Date.now();
      const send = spawn(process.execPath, [join(root, "scripts", "demo", "send.mjs"), "demo test"], {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      expect(await new Promise((r) => send.once("exit", r))).toBe(0);
      await waitUntil(
        () => /\[demo\] verified webhook \S+: "demo test"/.test(log()),
        10_000,
        "a verified webhook",
      );
      expect(Date.now() - sent).toBeLessThan(10_000);
      const last = (await (await fetch(receiver!)).json()) as {
        verified: boolean;
        payload: { message: { subject: string } };
      };
      expect(last.verified).toBe(true);
      expect(last.payload.message.subject).toBe("demo test");

      process.kill(-child.pid!, "SIGINT");
      await exited;
      await waitUntil(() => /\[mailhook\] stopped/.test(log()), 60_000, "the demo to stop");
      await waitUntil(() => processesMentioning(dataDir).length === 0, 10_000, "every demo process to end");
    } finally {
      for (const p of processesMentioning(dataDir)) process.kill(p, "SIGKILL");
    }
  });
});
