import { randomUUID } from "node:crypto";
import { type Rule, validateRules } from "@mailhook/rules";
import {
  createLeases,
  createSecretBox,
  createStore,
  generateKeySpec,
  migrateKeyLayout,
  SECRET_OVERLAP_SEC,
  type SeedInput,
  seedFromConfig,
  signingSecrets,
} from "@mailhook/store";
import { startRedis, type TestRedis } from "@mailhook/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliveryRecord } from "./support/stack.js";

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const fresh = () => {
  const prefix = `s${randomUUID().slice(0, 8)}`;
  return {
    prefix,
    store: createStore({ redis: client, prefix, secrets: createSecretBox(generateKeySpec("k1")) }),
    leases: (ownerId: string, ttlMs = 5_000) => createLeases({ redis: client, prefix, ownerId, ttlMs }),
  };
};

describe("cursors", () => {
  it("only move forward, only for the lease holder, and reset on a new UIDVALIDITY", async () => {
    const { store, leases } = fresh();
    const lease = await leases("w1").acquire("t", "m");
    expect(lease).not.toBeNull();
    expect(
      await store.advanceCursor("t", "m", "INBOX", { uidValidity: 7, lastUid: 10 }, lease!.token, true),
    ).toBe(true);
    expect(await store.advanceCursor("t", "m", "INBOX", { uidValidity: 7, lastUid: 12 }, lease!.token)).toBe(
      true,
    );
    // Backwards is ignored (not an error: a slow duplicate write must not rewind).
    expect(await store.advanceCursor("t", "m", "INBOX", { uidValidity: 7, lastUid: 11 }, lease!.token)).toBe(
      true,
    );
    expect(await store.getCursor("t", "m", "INBOX")).toMatchObject({ uidValidity: 7, lastUid: 12 });
    // A writer without the lease is fenced out, whatever it writes.
    expect(await store.advanceCursor("t", "m", "INBOX", { uidValidity: 7, lastUid: 99 }, "stale-token")).toBe(
      false,
    );
    expect(
      await store.advanceCursor("t", "m", "INBOX", { uidValidity: 8, lastUid: 1 }, "stale-token", true),
    ).toBe(false);
    expect(await store.getCursor("t", "m", "INBOX")).toMatchObject({ uidValidity: 7, lastUid: 12 });
    // Another generation of the folder only through an explicit reset.
    expect(await store.advanceCursor("t", "m", "INBOX", { uidValidity: 8, lastUid: 40 }, lease!.token)).toBe(
      true,
    );
    expect((await store.getCursor("t", "m", "INBOX"))?.uidValidity).toBe(7);
    await store.advanceCursor("t", "m", "INBOX", { uidValidity: 8, lastUid: 3 }, lease!.token, true);
    expect(await store.getCursor("t", "m", "INBOX")).toMatchObject({ uidValidity: 8, lastUid: 3 });
    // Folders are independent, whatever characters their names hold.
    expect(await store.getCursor("t", "m", "Archive/2024:Q1~x")).toBeNull();
  });
});

/** How often Redis has run `command` so far (INFO commandstats; commands inside scripts count). */
async function calls(command: string): Promise<number> {
  const info = await client.info("commandstats");
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe("the dead-letter index", () => {
  it("lists failed and dead deliveries, unlists them when delivered, and costs a first-try delivery no ZREM", async () => {
    const { store } = fresh();
    for (const id of ["d_fail", "d_ok", "d_dead"])
      expect((await store.createDelivery(deliveryRecord(id, "t"))).created).toBe(true);
    await store.recordAttempt("d_fail", null, "failed", "HTTP 500");
    await store.recordAttempt("d_dead", null, "dead", "gave up");
    expect((await store.listDeadDeliveries("t", "ep")).sort()).toEqual(["d_dead", "d_fail"]);

    // Failed, then delivered (after a replay or a retry): it leaves the list.
    await store.recordAttempt("d_fail", null, "delivered", null);
    expect(await store.listDeadDeliveries("t", "ep")).toEqual(["d_dead"]);

    // Pending to delivered was never listed: the record write alone, no ZREM sent.
    const before = await calls("zrem");
    await store.recordAttempt("d_ok", null, "delivered", null);
    expect(await calls("zrem")).toBe(before);
    expect((await store.getDelivery("d_ok"))?.status).toBe("delivered");
    expect(await store.listDeadDeliveries("t", "ep")).toEqual(["d_dead"]);

    // A replayed dead delivery is pending and unlisted; delivered now, it stays off the list.
    expect((await store.beginReplay("d_dead"))?.replayed).toBe(true);
    expect(await store.listDeadDeliveries("t", "ep")).toEqual([]);
    await store.recordAttempt("d_dead", null, "delivered", null);
    expect(await store.listDeadDeliveries("t", "ep")).toEqual([]);
  });
});

describe("leases", () => {
  it("give a mailbox to one owner at a time; expiry hands it over; a lost lease cannot be renewed", async () => {
    const { leases } = fresh();
    const a = leases("a", 300);
    const b = leases("b", 300);
    const la = await a.acquire("t", "m");
    expect(la).not.toBeNull();
    expect(await b.acquire("t", "m")).toBeNull();
    expect(await la!.renew()).toBe(true);
    await new Promise((r) => setTimeout(r, 450));
    const lb = await b.acquire("t", "m");
    expect(lb).not.toBeNull();
    expect(await la!.renew()).toBe(false);
    // Releasing a lease one no longer holds must not free the new owner's.
    await la!.release();
    expect(await a.owner("t", "m")).toBe(lb!.token);
    await lb!.release();
    expect(await a.owner("t", "m")).toBeNull();
  });
});

describe("seeding from the config file", () => {
  const rules = (input: unknown[]): Rule[] => {
    const r = validateRules(input);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.rules;
  };
  const input = (over: Partial<SeedInput> = {}): SeedInput => ({
    tenant: "acme",
    mailboxes: [
      {
        id: "support",
        address: "support@acme.test",
        host: "imap.acme.test",
        port: 993,
        tls: "implicit",
        tlsVerify: true,
        user: "support",
        password: "pw-1",
        folders: ["INBOX"],
        start: "new",
        enabled: true,
      },
    ],
    endpoints: [{ id: "tickets", url: "https://hooks.acme.test/in", headers: {}, enabled: true }],
    rules: rules([{ id: "r1", name: "R1", actions: [{ type: "webhook", endpoint: "tickets" }] }]),
    ...over,
  });

  it("writes file resources, keeps a generated secret across restarts, and removes only file-managed leftovers", async () => {
    const { store } = fresh();
    let n = 0;
    const gen = () => `whsec_${Buffer.alloc(32, ++n).toString("base64")}`;
    const first = await seedFromConfig(store, input(), gen);
    expect(first.generatedSecrets).toEqual(["tickets"]);
    const secret = (await store.getEndpoint("acme", "tickets"))?.secrets;
    expect(secret).toHaveLength(1);
    const again = await seedFromConfig(store, input(), gen);
    expect(again.generatedSecrets).toEqual([]);
    expect((await store.getEndpoint("acme", "tickets"))?.secrets).toEqual(secret);
    expect((await store.getMailbox("acme", "support"))?.password).toBe("pw-1");

    // An API-created mailbox survives a seed that no longer lists the file's one.
    await store.putMailbox({
      ...(await store.getMailbox("acme", "support"))!,
      id: "api-made",
      managed: "api",
    });
    const removed = await seedFromConfig(store, input({ mailboxes: [], rules: [] }), gen);
    expect(removed.removed).toBe(2);
    expect(await store.getMailbox("acme", "support")).toBeNull();
    expect(await store.getMailbox("acme", "api-made")).not.toBeNull();
    expect(await store.listRules("acme")).toEqual([]);
  });

  it("bumps the rules version on every rule change, so workers recompile for the next message", async () => {
    const { store } = fresh();
    await seedFromConfig(store, input(), () => "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    const v1 = await store.rulesVersion("acme");
    await seedFromConfig(store, input(), () => "unused");
    expect(await store.rulesVersion("acme")).toBe(v1);
    await seedFromConfig(
      store,
      input({
        rules: rules([{ id: "r1", name: "Renamed", actions: [{ type: "webhook", endpoint: "tickets" }] }]),
      }),
      () => "unused",
    );
    expect(await store.rulesVersion("acme")).toBeGreaterThan(v1);
  });

  it("treats a secret changed in the file as a rotation: the old one keeps signing for the overlap", async () => {
    const { store } = fresh();
    const a = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
    const b = `whsec_${Buffer.alloc(32, 2).toString("base64")}`;
    const withSecret = (secret: string) =>
      input({
        endpoints: [{ id: "tickets", url: "https://hooks.acme.test/in", headers: {}, enabled: true, secret }],
      });
    await seedFromConfig(store, withSecret(a), () => "unused");
    await seedFromConfig(store, withSecret(b), () => "unused");
    const ep = (await store.getEndpoint("acme", "tickets"))!;
    expect(ep.secrets).toEqual([b]);
    expect(signingSecrets(ep)).toEqual([b, a]);
    const until = Date.parse(ep.retiring![0]!.expiresAt);
    expect(until).toBeGreaterThan(Date.now() + SECRET_OVERLAP_SEC * 1000 - 60_000);
    // After the overlap only the new secret signs; an unchanged file does not rotate again.
    expect(signingSecrets(ep, until + 1)).toEqual([b]);
    await seedFromConfig(store, withSecret(b), () => "unused");
    expect(signingSecrets((await store.getEndpoint("acme", "tickets"))!)).toEqual([b, a]);
  });
});

describe("key layout", () => {
  it("renames keys of the layout before hash tags once, and leaves current ones alone", async () => {
    const { prefix, store } = fresh();
    await client.hset(`${prefix}:cursor:t/m:INBOX`, "uidValidity", "7", "lastUid", "41");
    await client.hset(`${prefix}:rules:t`, "r1", "{}");
    await client.set(`${prefix}:rules-version:t`, "3");
    await client.zadd(`${prefix}:dead:t/ep1`, 1, "msg_a");
    await client.hset(`${prefix}:status:t/m`, "INBOX", "{}");
    await client.zadd(`${prefix}:deliveries:{t}`, 1, "msg_b");
    expect(await migrateKeyLayout(client, prefix)).toBe(5);
    expect(await store.getCursor("t", "m", "INBOX")).toMatchObject({ uidValidity: 7, lastUid: 41 });
    expect(await store.rulesVersion("t")).toBe(3);
    expect(await client.hkeys(store.keys.rules("t"))).toEqual(["r1"]);
    expect(await client.zrange(store.keys.dead("t", "ep1"), 0, -1)).toEqual(["msg_a"]);
    expect(await client.hkeys(store.keys.status("t", "m"))).toEqual(["INBOX"]);
    expect(await client.zrange(store.keys.deliveries("t"), 0, -1)).toEqual(["msg_b"]);
    expect(await client.exists(`${prefix}:cursor:t/m:INBOX`, `${prefix}:rules:t`)).toBe(0);
    // Marked done: a later start does not scan again.
    await client.set(`${prefix}:rules-version:u`, "1");
    expect(await migrateKeyLayout(client, prefix)).toBe(0);
  });
});
