import { randomUUID } from "node:crypto";
import { createLogger } from "@mailhook/log";
import { createWebhookDeliverer } from "@mailhook/pipeline";
import {
  createEndpointGate,
  createSecretBox,
  createStore,
  type GatePolicy,
  generateKeySpec,
} from "@mailhook/store";
import { startReceiver, startRedis, type TestRedis } from "@mailhook/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testOutbound } from "./support/outbound.js";
import { deliveryRecord, endpointFor, sleep } from "./support/stack.js";

let server: TestRedis;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const policy: GatePolicy = {
  concurrency: 2,
  slotLeaseMs: 1_000,
  hangMs: 300,
  failureThreshold: 3,
  openMs: 400,
  maxOpenMs: 1_000,
};
/** Two gates on one prefix stand for two worker replicas. */
const pair = (p: Partial<GatePolicy> = {}) => {
  const prefix = `g${randomUUID().slice(0, 8)}`;
  return [
    createEndpointGate(redis, prefix, { ...policy, ...p }),
    createEndpointGate(redis, prefix, { ...policy, ...p }),
  ] as const;
};

describe("endpoint gate (Redis)", () => {
  it("admits `concurrency` attempts across replicas, refuses the next, and frees a slot on leave", async () => {
    const [a, b] = pair();
    const one = await a.enter("t", "ep");
    const two = await b.enter("t", "ep");
    expect(one.ok && two.ok).toBe(true);
    const three = await a.enter("t", "ep");
    expect(three).toMatchObject({ ok: false, why: "busy" });
    // Another endpoint is not affected.
    expect((await b.enter("t", "other")).ok).toBe(true);
    if (one.ok) await a.leave("t", "ep", one.token, "up");
    expect((await b.enter("t", "ep")).ok).toBe(true);
  });

  it("frees the slot of a holder that never left (a crashed worker) after the lease", async () => {
    const [a] = pair();
    await a.enter("t", "ep");
    await a.enter("t", "ep");
    expect((await a.enter("t", "ep")).ok).toBe(false);
    await sleep(1_100);
    expect((await a.enter("t", "ep")).ok).toBe(true);
  });

  it("a waiting attempt gets the slot as soon as one is released in the same process", async () => {
    const [a] = pair({ concurrency: 1, slotLeaseMs: 10_000 });
    const first = await a.enter("t", "ep");
    if (!first.ok) throw new Error("first entry refused");
    const started = Date.now();
    setTimeout(() => void a.leave("t", "ep", first.token, "up"), 100);
    const second = await a.enter("t", "ep", { waitMs: 2_000 });
    expect(second.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(400);
    // Without a release, the wait ends after waitMs with "busy".
    const third = await a.enter("t", "ep", { waitMs: 120 });
    expect(third).toMatchObject({ ok: false, why: "busy" });
  });

  it("calls an endpoint congested only when none of its slots moved for hangMs (it hangs), not when merely busy", async () => {
    const [a] = pair({ concurrency: 1, slotLeaseMs: 10_000 });
    const held = await a.enter("t", "ep");
    if (!held.ok) throw new Error("refused");
    // Just taken: busy, but the slot moved a moment ago.
    expect(await a.enter("t", "ep")).toMatchObject({ ok: false, why: "busy", congested: false });
    await sleep(400);
    // Nothing released or taken for longer than hangMs: the endpoint hangs.
    expect(await a.enter("t", "ep")).toMatchObject({ ok: false, why: "busy", congested: true });
    // A congested endpoint gets no waiting: the answer comes at once, not after waitMs.
    const started = Date.now();
    expect(await a.enter("t", "ep", { waitMs: 1_000 })).toMatchObject({ ok: false, congested: true });
    expect(Date.now() - started).toBeLessThan(300);
    // Slots that keep turning over (a fast endpoint at its limit) are never congested.
    await a.leave("t", "ep", held.token, "up");
    for (let i = 0; i < 4; i++) {
      const e = await a.enter("t", "ep");
      if (!e.ok) throw new Error("refused after release");
      await sleep(150);
      expect(await a.enter("t", "ep")).toMatchObject({ ok: false, why: "busy", congested: false });
      await a.leave("t", "ep", e.token, "up");
    }
  });

  it("opens after consecutive failures, lets exactly one probe through, and doubles the open time on a failed probe", async () => {
    const [a, b] = pair({ concurrency: 10 });
    for (let i = 0; i < 2; i++) {
      const e = await a.enter("t", "ep");
      if (e.ok) expect(await a.leave("t", "ep", e.token, "down")).toEqual({ circuit: "unchanged" });
    }
    // A success in between resets the count.
    const ok = await a.enter("t", "ep");
    if (ok.ok) await a.leave("t", "ep", ok.token, "up");
    for (let i = 0; i < 3; i++) {
      const e = await a.enter("t", "ep");
      if (!e.ok) throw new Error("refused before the threshold");
      const r = await a.leave("t", "ep", e.token, "down");
      expect(r.circuit).toBe(i === 2 ? "opened" : "unchanged");
    }
    expect(await b.enter("t", "ep")).toMatchObject({ ok: false, why: "open" });
    expect((await a.state("t", "ep")).state).toBe("open");

    await sleep(500);
    const probe = await b.enter("t", "ep");
    expect(probe).toMatchObject({ ok: true, probe: true });
    expect(await a.enter("t", "ep")).toMatchObject({ ok: false, why: "probing" });
    if (!probe.ok) throw new Error("no probe");
    const reopened = await b.leave("t", "ep", probe.token, "down");
    expect(reopened.circuit).toBe("opened");
    // Second opening: twice the open time (800 ms), so still open after 500 ms.
    await sleep(500);
    expect(await a.enter("t", "ep")).toMatchObject({ ok: false, why: "open" });
    await sleep(400);
    const probe2 = await a.enter("t", "ep");
    expect(probe2).toMatchObject({ ok: true, probe: true });
    if (probe2.ok) expect(await a.leave("t", "ep", probe2.token, "up")).toEqual({ circuit: "closed" });
    expect(await a.state("t", "ep")).toMatchObject({ state: "closed", failures: 0, opens: 0 });
  });

  it("a probe that sent nothing (unknown) hands the probe to the next attempt without judging", async () => {
    const [a] = pair({ concurrency: 10, failureThreshold: 1, openMs: 100 });
    const e = await a.enter("t", "ep");
    if (e.ok) await a.leave("t", "ep", e.token, "down");
    await sleep(200);
    const probe = await a.enter("t", "ep");
    if (!probe.ok) throw new Error("no probe");
    expect(await a.leave("t", "ep", probe.token, "unknown")).toEqual({ circuit: "unchanged" });
    expect(await a.enter("t", "ep")).toMatchObject({ ok: true, probe: true });
  });

  it("a healthy attempt costs at most 10 Redis commands, and the slots and breaker keys keep a TTL", async () => {
    const prefix = `g${randomUUID().slice(0, 8)}`;
    const gate = createEndpointGate(redis, prefix, policy);
    const slots = `${prefix}:slots:{t/ep}`;
    const circuit = `${prefix}:circuit:{t/ep}`;
    const calls = async () => {
      const info = await redis.info("commandstats");
      let n = 0;
      for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== "info") n += Number(m[2]);
      return n;
    };
    const once = async () => {
      const e = await gate.enter("t", "ep");
      if (!e.ok) throw new Error("no slot");
      await gate.leave("t", "ep", e.token, "up");
    };
    const first = await gate.enter("t", "ep");
    expect(await redis.pttl(slots)).toBeGreaterThan(0);
    expect(await redis.pttl(slots)).toBeLessThanOrEqual(2 * policy.slotLeaseMs);
    if (first.ok) await gate.leave("t", "ep", first.token, "up");
    expect(await redis.pttl(circuit)).toBeGreaterThan(0);
    // An idle endpoint: EVALSHA + TIME + HMGET + ZCARD + ZADD + PEXPIRE (the slots set is new),
    // then EVALSHA + TIME + ZREM + HMGET + HSET. The commandstats reads (INFO) are not counted.
    let before = await calls();
    await once();
    expect((await calls()) - before).toBeLessThanOrEqual(11);
    // A busy one (another attempt holds a slot): no PEXPIRE once the set's TTL was refreshed (the
    // first busy attempt does that, then one in `lease / 2`).
    const other = await gate.enter("t", "ep");
    await once();
    before = await calls();
    await once();
    expect((await calls()) - before).toBeLessThanOrEqual(10);
    if (other.ok) await gate.leave("t", "ep", other.token, "up");
    // A slot held all along: after half a lease the next attempt renews the key's TTL.
    const held = await gate.enter("t", "ep");
    await sleep(policy.slotLeaseMs * 0.6);
    const next = await gate.enter("t", "ep");
    expect(next.ok).toBe(true);
    expect(await redis.pttl(slots)).toBeGreaterThan(1.5 * policy.slotLeaseMs);
    for (const e of [held, next]) if (e.ok) await gate.leave("t", "ep", e.token, "up");
  });
});

describe("the deliverer and the gate", () => {
  it("records an answered attempt even when releasing its slot fails: the job's retry does not post again", async () => {
    const receiver = await startReceiver();
    try {
      const prefix = `d${randomUUID().slice(0, 8)}`;
      const store = createStore({ redis, prefix, secrets: createSecretBox(generateKeySpec("k1")) });
      await store.putEndpoint(endpointFor(`${receiver.url}/hook`, "ep"));
      // The real gate, whose release is lost (Redis went away between the two commands).
      const real = createEndpointGate(redis, prefix, policy);
      const gate = {
        ...real,
        leave: async () => {
          throw new Error("gate release lost");
        },
      };
      const deliver = createWebhookDeliverer({
        store,
        log: createLogger({ name: "test", level: "silent" }),
        outbound: testOutbound(),
        gate,
      });
      const rec = deliveryRecord(`dl_${randomUUID().slice(0, 8)}`);
      expect((await store.createDelivery(rec)).created).toBe(true);
      const job = { tenantId: rec.tenantId, deliveryId: rec.id };

      await expect(deliver(job)).rejects.toThrow("gate release lost");
      expect(receiver.requests).toHaveLength(1);
      expect((await store.getDelivery(rec.id))?.status).toBe("delivered");
      expect(await deliver(job)).toEqual({ kind: "skipped", reason: "already delivered" });
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.stop();
    }
  });
});
