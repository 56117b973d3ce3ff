import { generateKeySpec } from "@mailhook/store";
import { makeMail } from "@mailhook/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { runService, writeConfig } from "./support/process.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

// Fast failover by presence: with a lease TTL of 5 minutes, a takeover seen within the test's
// deadlines can only come from the survivor noticing that the dead replica's presence subscription
// ended — the leases themselves would still be valid for minutes.
const world = useWorld();
const TTL_MS = 300_000;
const MAILBOXES = 6;

async function twoReplicas(prefix: string) {
  const users = [];
  for (let i = 0; i < MAILBOXES; i++) users.push(await world.dovecot.createUser(`pres${i}`));
  const file = writeConfig(`version: 1
mailboxes:
${users
  .map(
    (u, i) => `  - id: m${i}
    host: 127.0.0.1
    port: ${world.dovecot.port}
    tls: none
    user: ${u.user}
    password: \${TEST_IMAP_PASSWORD_${i}}`,
  )
  .join("\n")}
endpoints:
  - id: hook
    url: ${world.receiver.url}/${prefix}
rules:
  - id: everything
    name: Everything
    actions: [{ type: webhook, endpoint: hook }]
`);
  const base: Record<string, string> = {
    REDIS_URL: world.redis.url,
    MAILHOOK_PREFIX: prefix,
    MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
    MAILHOOK_CONFIG: file,
    WEBHOOK_ALLOW: "127.0.0.1/32",
    IMAP_ALLOW: "127.0.0.1/32",
    WATCHER_LEASE_TTL_MS: String(TTL_MS),
    WATCHER_TICK_MS: "200",
    ...Object.fromEntries(users.map((u, i) => [`TEST_IMAP_PASSWORD_${i}`, u.pass])),
  };
  const a = runService("watcher", { ...base, WATCHER_ID: "pa" });
  const b = runService("watcher", { ...base, WATCHER_ID: "pb" });
  const r = new Redis(world.redis.url);
  const holders = async () => {
    const out: string[] = [];
    for (let i = 0; i < MAILBOXES; i++) {
      const lease = (await r.get(`${prefix}:lease:{default/m${i}}`)) ?? "";
      const status = JSON.parse((await r.hget(`${prefix}:status:{default/m${i}}`, "INBOX")) ?? "{}") as {
        state?: string;
        owner?: string;
      };
      out.push(
        status.state === "connected" && lease.startsWith(`${status.owner}.`) ? String(status.owner) : "",
      );
    }
    return out;
  };
  await waitUntil(
    async () => {
      const h = await holders();
      return h.every((x) => x !== "") && h.includes("pa") && h.includes("pb");
    },
    45_000,
    "both replicas to hold and watch mailboxes",
  );
  return { users, base, a, b, r, holders };
}

describe("watcher presence: a dead replica's mailboxes move before their leases expire", () => {
  it("SIGKILL: the survivor marks it gone and takes over every mailbox; mail after it is delivered once", async () => {
    const prefix = "presence-kill";
    const { users, base, a, b, r, holders } = await twoReplicas(prefix);
    const worker = runService("worker", base);
    try {
      const victimMailboxes = (await holders()).flatMap((h, i) => (h === "pa" ? [i] : []));
      const leaseLeft = await r.pttl(`${prefix}:lease:{default/m${victimMailboxes[0]}}`);
      const killedAt = Date.now();
      a.child.kill("SIGKILL");
      await a.exited;
      await waitUntil(async () => (await holders()).every((h) => h === "pb"), 60_000, "pb to hold all");
      // The leases the victim held were still valid: only the presence check can have moved them.
      expect(Date.now() - killedAt).toBeLessThan(leaseLeft);
      expect(b.stdout()).toContain("watcher replica gone");
      expect(JSON.parse((await r.hget(`${prefix}:watchers`, "pa")) ?? "{}")).toMatchObject({ gone: true });

      const i = victimMailboxes[0]!;
      await waitUntil(() => /worker started/.test(worker.stdout()), 30_000, "worker to start");
      await world.dovecot.append(users[i]!.user, "INBOX", await makeMail({ subject: "after the kill" }));
      const hits = () => world.receiver.requests.filter((q) => q.path === `/${prefix}`);
      await waitUntil(() => hits().length >= 1, 30_000, "the webhook");
      await new Promise((res) => setTimeout(res, 500));
      expect(
        hits().map((q) => (JSON.parse(q.body) as { message: { subject: string } }).message.subject),
      ).toEqual(["after the kill"]);
    } finally {
      for (const p of [a, b, worker]) p.child.kill("SIGKILL");
      r.disconnect();
    }
  });

  it("a frozen replica (SIGSTOP: socket open, no heartbeat) is not judged dead: it keeps its mailboxes", async () => {
    const { a, b, r, holders } = await twoReplicas("presence-stop");
    try {
      const before = await holders();
      a.child.kill("SIGSTOP");
      // Several presence confirm windows (1 s) and ownership ticks (200 ms) while it is frozen.
      await new Promise((res) => setTimeout(res, 4_000));
      expect(await r.hget("presence-stop:watchers", "pa")).not.toContain("gone");
      for (let i = 0; i < MAILBOXES; i++) {
        if (before[i] !== "pa") continue;
        expect(await r.get(`presence-stop:lease:{default/m${i}}`)).toMatch(/^pa\./);
      }
      expect(b.stdout()).not.toContain("watcher replica gone");
      a.child.kill("SIGCONT");
      await waitUntil(async () => (await holders()).join() === before.join(), 30_000, "the same holders");
    } finally {
      for (const p of [a, b]) {
        p.child.kill("SIGCONT");
        p.child.kill("SIGKILL");
      }
      r.disconnect();
    }
  });
});
