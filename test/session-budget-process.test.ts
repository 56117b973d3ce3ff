import { generateKeySpec } from "@mailhook/store";
import { makeMail } from "@mailhook/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { runService, writeMailboxConfig } from "./support/process.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

// The session budget with real processes: a worker SIGKILLed while it holds the mailbox's only
// session leaves its lease and its membership behind. The other worker, finding the budget full,
// forwards the new mail's jobs to the dead holder (it still looks live); a sweep moves them back
// once its heartbeat expired, and by then its lease has expired too.
const world = useWorld();

describe("a SIGKILLed worker's IMAP session lease", () => {
  it("blocks the mailbox until it expires; jobs routed to the dead worker come back; all delivered once", async () => {
    const user = await world.dovecot.createUser("killed");
    const prefix = "sbkill";
    const env = {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: prefix,
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
      MAILHOOK_CONFIG: writeMailboxConfig({
        imapPort: world.dovecot.port,
        user: user.user,
        url: `${world.receiver.url}/killed`,
      }),
      TEST_IMAP_PASSWORD: user.pass,
      WEBHOOK_ALLOW: "127.0.0.1/32",
      IMAP_ALLOW: "127.0.0.1/32",
      IMAP_SESSIONS_PER_MAILBOX: "1",
      // Long enough that the new mail's jobs certainly meet the dead lease (renewed every 2.7 s).
      IMAP_SESSION_LEASE_MS: "8000",
    };
    const hits = () => world.receiver.requests.filter((r) => r.path === "/killed");
    const sessionsKey = `${prefix}:imap-sessions:{default/support}`;
    const r = new Redis(world.redis.url);
    const watcher = runService("watcher", env);
    const first = runService("worker", { ...env, WORKER_ID: "w-killed" });
    let second: ReturnType<typeof runService> | null = null;
    try {
      await waitUntil(() => /watching folder/.test(watcher.stdout()), 20_000, "watcher to watch INBOX");
      await waitUntil(() => /worker started/.test(first.stdout()), 20_000, "first worker to start");
      await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "before the kill" }));
      await waitUntil(() => hits().length === 1, 15_000, "the first webhook");
      expect(await r.zrange(sessionsKey, 0, -1)).toEqual(["w-killed#0"]);

      second = runService("worker", { ...env, WORKER_ID: "w-next" });
      await waitUntil(() => /worker started/.test(second?.stdout() ?? ""), 20_000, "second worker to start");
      first.child.kill("SIGKILL");
      await first.exited;
      const killedAt = Date.now();
      // Still there: nobody released it.
      expect(await r.zrange(sessionsKey, 0, -1)).toEqual(["w-killed#0"]);
      for (let i = 0; i < 5; i++)
        await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: `after the kill ${i}` }));
      await waitUntil(() => hits().length === 6, 45_000, "the five webhooks after the kill").catch((err) => {
        console.log(second?.stdout().split("\n").slice(-40).join("\n"));
        throw err;
      });
      // The jobs went to the dead holder first and were read only once its heartbeat ran out.
      expect(Number(await r.hget(`${prefix}:metrics`, "imap_routed_jobs"))).toBeGreaterThan(0);
      const firstAfter = Math.min(
        ...hits()
          .map((h) => h.at)
          .slice(1),
      );
      console.log(`first webhook after the kill: ${firstAfter - killedAt} ms`);
      expect(firstAfter - killedAt).toBeGreaterThan(5_000);
      expect(await r.zrange(sessionsKey, 0, -1)).toEqual(["w-next#0"]);
      expect(new Set(hits().map((h) => h.headers["webhook-id"])).size).toBe(6);
      // The dead worker drops out of the members (10 s heartbeat TTL) and its queue off the list.
      await waitUntil(
        async () => (await r.smembers(`${prefix}:affinity-queues`)).join() === "w-next",
        30_000,
        "the killed worker's affinity queue to be swept",
      );
      expect(await r.hkeys(`${prefix}:workers`)).toEqual(["w-next"]);
      // SIGTERM: the lease is given back at once.
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
      expect(await r.zcard(sessionsKey)).toBe(0);
      expect(hits()).toHaveLength(6);
    } finally {
      for (const p of [watcher, first, second]) p?.child.kill("SIGKILL");
      r.disconnect();
    }
  }, 120_000);
});
