import { type ConnectionPool, createConnectionPool } from "@mailhook/imap";
import { DEFAULT_FETCH_LIMITS } from "@mailhook/model";
import { createMailActor, replayDelivery } from "@mailhook/pipeline";
import { createProducer, type MailActJob } from "@mailhook/queue";
import {
  makeMail,
  startDovecot,
  startReceiver,
  startRedis,
  type TestDovecot,
  type TestReceiver,
  type TestRedis,
} from "@mailhook/testing";
import { startWorkerService, type WorkerServiceOptions } from "@mailhook/worker";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { endpointFor, mailboxFor, rules, Stack, waitUntil } from "./support/stack.js";

let redis: TestRedis;
let dovecot: TestDovecot;
let receiver: TestReceiver;
const stacks: Stack[] = [];

beforeAll(async () => {
  [redis, dovecot, receiver] = await Promise.all([startRedis(), startDovecot(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), dovecot?.stop(), receiver?.stop()]);
});
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.stop()));
});

/** Watcher + worker against `server`, the worker with the test's own options. */
async function startStack(
  server: TestDovecot,
  user: { user: string; pass: string },
  ruleList: unknown[],
  opts: { endpointPath?: string; worker?: Partial<WorkerServiceOptions> } = {},
): Promise<Stack> {
  const stack = new Stack({ redisUrl: redis.url });
  stacks.push(stack);
  await stack.store.putMailbox(mailboxFor(server, user, "mbx"));
  await stack.store.putEndpoint(endpointFor(`${receiver.url}${opts.endpointPath ?? "/ok"}`));
  await stack.store.putRules("default", rules(ruleList));
  stack.worker = await startWorkerService({
    redisUrl: redis.url,
    prefix: stack.prefix,
    store: stack.store,
    log: stack.log.child({ service: "worker" }),
    mailConcurrency: 8,
    deliveryConcurrency: 16,
    imapPoolSize: 2,
    imapOperationTimeoutMs: 5_000,
    limits: DEFAULT_FETCH_LIMITS,
    outbound: stack.outbound,
    schedule: [100, 100],
    timeouts: { connectTimeoutMs: 2_000, totalTimeoutMs: 5_000, maxResponseBytes: 4_096 },
    ...opts.worker,
  });
  await stack.startWatcher();
  await stack.waitForState("mbx", "INBOX", "connected");
  return stack;
}

interface Place {
  folder: string;
  flags: string[];
}

/** Every folder holding a message with this subject, with its flags: where the message is now. */
async function whereIs(server: TestDovecot, user: string, subject: string): Promise<Place[]> {
  const imap = await server.client(user, { imapflow: { disableAutoIdle: true } });
  try {
    const places: Place[] = [];
    for (const box of await imap.list()) {
      if (box.flags.has("\\Noselect") || box.flags.has("\\NonExistent")) continue;
      await imap.mailboxOpen(box.path, { readOnly: true });
      for await (const m of imap.fetch(
        { header: { subject } },
        { flags: true, envelope: true },
        { uid: true },
      )) {
        if (m.envelope?.subject === subject)
          places.push({
            folder: box.path,
            flags: [...(m.flags ?? [])].filter((f) => f !== "\\Recent").sort(),
          });
      }
    }
    return places.sort((a, b) => a.folder.localeCompare(b.folder));
  } finally {
    await imap.logout().catch(() => imap.close());
  }
}

async function waitForPlaces(
  server: TestDovecot,
  user: string,
  subject: string,
  want: Place[],
): Promise<void> {
  let last: Place[] = [];
  await waitUntil(
    async () => {
      last = await whereIs(server, user, subject);
      return JSON.stringify(last) === JSON.stringify(want);
    },
    15_000,
    `"${subject}" to be in ${JSON.stringify(want)} (last seen ${JSON.stringify(last)})`,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last seen ${JSON.stringify(last)}`);
  });
}

async function appendGetUid(
  server: TestDovecot,
  user: string,
  subject: string,
): Promise<{ uid: number; uidValidity: number }> {
  const imap = await server.client(user, { imapflow: { disableAutoIdle: true } });
  try {
    const r = await imap.append("INBOX", await makeMail({ subject }));
    if (r === false || !r.uid || r.uidValidity === undefined) throw new Error("APPEND gave no UID");
    return { uid: r.uid, uidValidity: Number(r.uidValidity) };
  } finally {
    await imap.logout();
  }
}

async function actorFor(server: TestDovecot, user: { user: string; pass: string }) {
  const stack = new Stack({ redisUrl: redis.url });
  stacks.push(stack);
  await stack.store.putMailbox(mailboxFor(server, user, "mbx"));
  const pool = createConnectionPool({ log: stack.log, maxPerMailbox: 1, outbound: stack.outbound });
  pools.push(pool);
  return { stack, act: createMailActor({ store: stack.store, pool, log: stack.log }) };
}
const pools: ConnectionPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const job = (m: { uid: number; uidValidity: number }, actions: MailActJob["actions"]): MailActJob => ({
  tenantId: "default",
  mailboxId: "mbx",
  folder: "INBOX",
  uidValidity: m.uidValidity,
  uid: m.uid,
  ruleId: "r",
  actions,
  after: [],
});

const hits = (path: string) => receiver.requests.filter((r) => r.path === path);

describe("ack-then-act", () => {
  it("moves the message only after the receiver acknowledged it, into the target folder and nowhere else", async () => {
    const user = await dovecot.createUser("ackmove");
    await dovecot.createFolder(user.user, "Processed");
    // The receiver holds its answer for a second: the message must still be in INBOX meanwhile.
    receiver.setHandler((req) =>
      req.path === "/slow-ack" ? { status: 200, delayMs: 1_000 } : { status: 200 },
    );
    await startStack(
      dovecot,
      user,
      [
        {
          id: "r",
          name: "R",
          actions: [
            { type: "webhook", endpoint: "hook" },
            { type: "move", to: "Processed", after: "webhook" },
          ],
        },
      ],
      { endpointPath: "/slow-ack" },
    );
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "ack then move" }));
    await waitUntil(() => hits("/slow-ack").length === 1, 15_000, "the webhook");
    expect((await whereIs(dovecot, user.user, "ack then move")).map((p) => p.folder)).toEqual(["INBOX"]);
    await waitForPlaces(dovecot, user.user, "ack then move", [{ folder: "Processed", flags: [] }]);
    expect(hits("/slow-ack")).toHaveLength(1);
  });

  it("does not act when the webhook is dead-lettered, says so in the record, and acts after a successful replay", async () => {
    const user = await dovecot.createUser("ackdead");
    await dovecot.createFolder(user.user, "Processed");
    let answer = 500;
    receiver.setHandler((req) => (req.path === "/dead-ack" ? { status: answer } : { status: 200 }));
    const stack = await startStack(
      dovecot,
      user,
      [
        {
          id: "r",
          name: "R",
          actions: [
            { type: "webhook", endpoint: "hook" },
            { type: "move", to: "Processed", after: "webhook" },
          ],
        },
      ],
      { endpointPath: "/dead-ack" },
    );
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "never moved" }));
    await waitUntil(() => hits("/dead-ack").length === 3, 15_000, "three attempts");
    const id = hits("/dead-ack")[0]!.headers["webhook-id"]!;
    await waitUntil(async () => (await stack.store.getDelivery(id))?.status === "dead", 5_000, "dead-letter");
    await waitUntil(
      async () => (await stack.store.getDelivery(id))?.followUps?.[0]?.state === "skipped",
      5_000,
      "the follow-up to be marked skipped",
    );
    const rec = await stack.store.getDelivery(id);
    expect(rec?.followUps?.[0]?.reason).toMatch(/dead-lettered: IMAP actions not run/);
    expect((await whereIs(dovecot, user.user, "never moved")).map((p) => p.folder)).toEqual(["INBOX"]);

    // The receiver is fixed; a replay delivers with the same webhook-id, then the move runs.
    answer = 200;
    const deliveries = createProducer("webhook.deliver", {
      connection: { url: redis.url, maxRetriesPerRequest: null },
      prefix: stack.prefix,
    });
    try {
      const r = await replayDelivery({ store: stack.store, deliveries }, "default", id);
      expect(r.ok).toBe(true);
    } finally {
      await deliveries.close();
    }
    await waitForPlaces(dovecot, user.user, "never moved", [{ folder: "Processed", flags: [] }]);
    expect(hits("/dead-ack")).toHaveLength(4);
    expect(hits("/dead-ack")[3]!.headers["webhook-id"]).toBe(id);
    // The actor records "done" just after the move; the folder listing can see the move first.
    await waitUntil(
      async () => (await stack.store.getDelivery(id))?.followUps?.[0]?.state === "done",
      5_000,
      "the follow-up to be marked done",
    );
    expect((await stack.store.getDelivery(id))?.status).toBe("delivered");
  });
});

describe("actions", () => {
  it("adds and removes flags and keywords and copies, leaving the original in place", async () => {
    const user = await dovecot.createUser("flags");
    await dovecot.createFolder(user.user, "Archive");
    await startStack(dovecot, user, [
      {
        id: "r",
        name: "R",
        actions: [
          { type: "flag", add: ["\\Seen", "$Processed"], remove: ["\\Flagged"] },
          { type: "copy", to: "Archive" },
        ],
      },
    ]);
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "flag me" }), ["\\Flagged"]);
    await waitForPlaces(dovecot, user.user, "flag me", [
      { folder: "Archive", flags: ["$Processed", "\\Seen"] },
      { folder: "INBOX", flags: ["$Processed", "\\Seen"] },
    ]);
  });

  it("deletes to the SPECIAL-USE \\Trash folder, or for good with expunge", async () => {
    const user = await dovecot.createUser("del");
    await startStack(dovecot, user, [
      {
        id: "trash",
        name: "Trash",
        when: { field: "subject", op: "equals", value: "to trash" },
        actions: [{ type: "delete" }],
      },
      {
        id: "gone",
        name: "Gone",
        when: { field: "subject", op: "equals", value: "to nowhere" },
        actions: [{ type: "delete", expunge: true }],
      },
    ]);
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "to trash" }));
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "to nowhere" }));
    await waitForPlaces(dovecot, user.user, "to trash", [{ folder: "Trash", flags: [] }]);
    await waitForPlaces(dovecot, user.user, "to nowhere", []);
  });

  it("fails a move to a missing folder permanently, naming it, and creates it when told to", async () => {
    const user = await dovecot.createUser("missing");
    const stack = await startStack(
      dovecot,
      user,
      [
        {
          id: "r",
          name: "R",
          actions: [
            { type: "webhook", endpoint: "hook" },
            { type: "move", to: "Nope", after: "webhook" },
          ],
        },
      ],
      { endpointPath: "/missing" },
    );
    await dovecot.append(user.user, "INBOX", await makeMail({ subject: "nowhere to go" }));
    const queue = new Queue("mail.act", {
      connection: { url: redis.url, maxRetriesPerRequest: null },
      prefix: `{${stack.prefix}}`,
    });
    try {
      await waitUntil(async () => (await queue.getFailedCount()) === 1, 15_000, "the act job to fail");
      const [failed] = await queue.getFailed();
      expect(failed?.failedReason).toMatch(/target folder "Nope" does not exist/);
      expect(failed?.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
    // The delivery record that the move waited for says why the move did not happen.
    const id = hits("/missing")[0]!.headers["webhook-id"]!;
    await waitUntil(
      async () => (await stack.store.getDelivery(id))?.followUps?.[0]?.state === "failed",
      5_000,
      "the follow-up to be marked failed",
    );
    expect((await stack.store.getDelivery(id))?.followUps?.[0]?.reason).toMatch(
      /IMAP actions failed: target folder "Nope" does not exist/,
    );
    expect((await whereIs(dovecot, user.user, "nowhere to go")).map((p) => p.folder)).toEqual(["INBOX"]);

    const user2 = await dovecot.createUser("create");
    await startStack(dovecot, user2, [{ id: "r", name: "R", actions: [{ type: "move", to: "Made/Here" }] }], {
      worker: { createFolders: true },
    });
    await dovecot.append(user2.user, "INBOX", await makeMail({ subject: "make room" }));
    await waitForPlaces(dovecot, user2.user, "make room", [{ folder: "Made/Here", flags: [] }]);
  });
});

describe("MOVE fallbacks", () => {
  let noMove: TestDovecot;
  let bare: TestDovecot;
  const base =
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE LIST-EXTENDED CONDSTORE ESEARCH LIST-STATUS LITERAL+ SPECIAL-USE";
  beforeAll(async () => {
    [noMove, bare] = await Promise.all([
      startDovecot({ capabilities: `${base} UIDPLUS` }),
      startDovecot({ capabilities: base }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([noMove?.stop(), bare?.stop()]);
  });

  it("without MOVE: COPY, \\Deleted and UID EXPUNGE of just that message (UIDPLUS)", async () => {
    const user = await noMove.createUser("nomove");
    await noMove.createFolder(user.user, "Processed");
    // Someone marked another message deleted: a plain EXPUNGE would take it too.
    await noMove.append(user.user, "INBOX", await makeMail({ subject: "bystander" }), ["\\Deleted"]);
    const imap = await noMove.client(user);
    expect(imap.capabilities.has("MOVE")).toBe(false);
    expect(imap.capabilities.has("UIDPLUS")).toBe(true);
    await imap.logout();
    await startStack(noMove, user, [
      {
        id: "r",
        name: "R",
        when: { field: "subject", op: "equals", value: "move me" },
        actions: [{ type: "move", to: "Processed" }],
      },
    ]);
    await noMove.append(user.user, "INBOX", await makeMail({ subject: "move me" }));
    await waitForPlaces(noMove, user.user, "move me", [{ folder: "Processed", flags: [] }]);
    expect(await whereIs(noMove, user.user, "bystander")).toEqual([
      { folder: "INBOX", flags: ["\\Deleted"] },
    ]);
  });

  it("without MOVE, a retry after a crash between COPY and EXPUNGE does not copy again", async () => {
    const user = await noMove.createUser("crash");
    await noMove.createFolder(user.user, "Processed");
    const { act } = await actorFor(noMove, user);
    const m = await appendGetUid(noMove, user.user, "copied once");
    // The first run copied and recorded it, then died before the original was expunged.
    const imap = await noMove.client(user, { imapflow: { disableAutoIdle: true } });
    await imap.mailboxOpen("INBOX");
    await imap.messageCopy(String(m.uid), "Processed", { uid: true });
    await imap.logout();
    const stack = stacks.at(-1)!;
    await stack.store.markActStep("act_crash", "0:copied");

    expect(await act(job(m, [{ type: "move", to: "Processed" }]), "act_crash")).toEqual({
      kind: "acted",
      results: [{ action: "move", result: "done" }],
    });
    expect(await whereIs(noMove, user.user, "copied once")).toEqual([{ folder: "Processed", flags: [] }]);
  });

  it("without MOVE and UIDPLUS: copies and leaves the original marked \\Deleted, expunging nothing else", async () => {
    const user = await bare.createUser("bare");
    await bare.createFolder(user.user, "Processed");
    await bare.append(user.user, "INBOX", await makeMail({ subject: "bystander" }), ["\\Deleted"]);
    await startStack(bare, user, [
      {
        id: "r",
        name: "R",
        when: { field: "subject", op: "equals", value: "move me" },
        actions: [{ type: "move", to: "Processed" }],
      },
    ]);
    await bare.append(user.user, "INBOX", await makeMail({ subject: "move me" }));
    await waitForPlaces(bare, user.user, "move me", [
      { folder: "INBOX", flags: ["\\Deleted"] },
      { folder: "Processed", flags: [] },
    ]);
    expect(await whereIs(bare, user.user, "bystander")).toEqual([{ folder: "INBOX", flags: ["\\Deleted"] }]);
  });
});

describe("mail.act on retry", () => {
  it("repeats no step a first run finished, and counts a message gone from the folder as done", async () => {
    const user = await dovecot.createUser("retry");
    await dovecot.createFolder(user.user, "Archive");
    await dovecot.createFolder(user.user, "Processed");
    const { act } = await actorFor(dovecot, user);
    const m = await appendGetUid(dovecot, user.user, "twice");
    const j = job(m, [
      { type: "copy", to: "Archive" },
      { type: "move", to: "Processed" },
    ]);
    expect(await act(j, "act_test_1")).toEqual({
      kind: "acted",
      results: [
        { action: "copy", result: "done" },
        { action: "move", result: "done" },
      ],
    });
    expect(await act(j, "act_test_1")).toEqual({
      kind: "acted",
      results: [
        { action: "copy", result: "done-before" },
        { action: "move", result: "done-before" },
      ],
    });
    // A new job id for the same message: the copy is not on record, but the message has gone.
    expect(await act(j, "act_test_2")).toEqual({
      kind: "acted",
      results: [
        { action: "copy", result: "gone" },
        { action: "move", result: "gone" },
      ],
    });
    expect((await whereIs(dovecot, user.user, "twice")).map((p) => p.folder)).toEqual([
      "Archive",
      "Processed",
    ]);
  });

  it("skips a job whose UIDVALIDITY is no longer the folder's: the UID may name another message", async () => {
    const user = await dovecot.createUser("stale");
    const { act } = await actorFor(dovecot, user);
    const m = await appendGetUid(dovecot, user.user, "stale");
    const r = await act(
      job({ ...m, uidValidity: m.uidValidity + 1 }, [{ type: "delete", expunge: true }]),
      "act_s",
    );
    expect(r).toMatchObject({ kind: "skipped", reason: expect.stringMatching(/UIDVALIDITY changed/) });
    expect((await whereIs(dovecot, user.user, "stale")).map((p) => p.folder)).toEqual(["INBOX"]);
  });
});
