import { generateKeySpec } from "@mailhook/store";
import { makeMail } from "@mailhook/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { runService, writeMailboxConfig } from "./support/process.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const world = useWorld();

describe("a worker killed mid-delivery", () => {
  // Queue path: the dead worker's job is picked up after its lock expires. Inline path (the first
  // attempt made straight from mail.process): its entry in the pending set outlives the worker, and
  // the restarted worker's sweep queues the delivery once the entry's deadline has passed.
  it.each([
    { path: "queued first attempt", prefix: "crash", inline: "false", timeoutMs: "60000" },
    { path: "inline first attempt", prefix: "crashinline", inline: "true", timeoutMs: "3000" },
  ])(
    "SIGKILL while the receiver holds the request ($path): the delivery completes after a restart, same webhook-id",
    async ({ prefix, inline, timeoutMs }) => {
      const user = await world.dovecot.createUser(prefix);
      const file = writeMailboxConfig({
        imapPort: world.dovecot.port,
        user: user.user,
        url: `${world.receiver.url}/${prefix}`,
      });
      const env = {
        REDIS_URL: world.redis.url,
        MAILHOOK_PREFIX: prefix,
        MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
        MAILHOOK_CONFIG: file,
        TEST_IMAP_PASSWORD: user.pass,
        WEBHOOK_ALLOW: "127.0.0.1/32",
        IMAP_ALLOW: "127.0.0.1/32",
        WEBHOOK_TIMEOUT_MS: timeoutMs,
        WEBHOOK_CONNECT_TIMEOUT_MS: "1000",
        WEBHOOK_INLINE_FIRST_ATTEMPT: inline,
        // A dead worker's jobs are picked up after about this long (BullMQ's stalled-job check).
        WORKER_JOB_LOCK_MS: "2000",
        DELIVERY_RETENTION_HOURS: "2",
        LOG_LEVEL: "info",
      };
      // The first request is held until the test ends: the worker is mid-delivery when it dies.
      let first = true;
      world.receiver.setHandler((req) => {
        if (req.path !== `/${prefix}`) return { status: 200 };
        if (first) {
          first = false;
          return { status: 200, delayMs: 120_000 };
        }
        return { status: 200 };
      });
      const hits = () => world.receiver.requests.filter((q) => q.path === `/${prefix}`);
      const watcher = runService("watcher", env);
      let worker = runService("worker", env);
      const r = new Redis(world.redis.url);
      try {
        await waitUntil(() => /watching folder/.test(watcher.stdout()), 20_000, "watcher to watch INBOX");
        await waitUntil(() => /worker started/.test(worker.stdout()), 20_000, "worker to start");
        await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "survive the crash" }));
        await waitUntil(() => hits().length === 1, 15_000, "the first attempt");
        const id = hits()[0]!.headers["webhook-id"]!;

        worker.child.kill("SIGKILL");
        await worker.exited;
        const pending = JSON.parse((await r.get(`${prefix}:delivery:${id}`)) ?? "{}") as { status?: string };
        expect(pending.status).toBe("pending");
        if (inline === "true") {
          expect(await r.zrange(`${prefix}:inline-pending`, 0, -1)).toEqual([`default\t${id}`]);
        }

        worker = runService("worker", env);
        await waitUntil(() => hits().length === 2, 60_000, "the delivery after the restart");
        expect(hits()[1]!.headers["webhook-id"]).toBe(id);
        expect(hits()[1]!.body).toBe(hits()[0]!.body);
        await waitUntil(
          async () =>
            (JSON.parse((await r.get(`${prefix}:delivery:${id}`)) ?? "{}") as { status?: string }).status ===
            "delivered",
          10_000,
          "the record to say delivered",
        );
        // The retention from DELIVERY_RETENTION_HOURS applies to the finished record.
        const ttl = await r.ttl(`${prefix}:delivery:${id}`);
        expect(ttl).toBeGreaterThan(3_600);
        expect(ttl).toBeLessThanOrEqual(7_200);
      } finally {
        watcher.child.kill("SIGKILL");
        worker.child.kill("SIGKILL");
        world.receiver.setHandler(() => ({ status: 200 }));
        r.disconnect();
      }
    },
  );
});
