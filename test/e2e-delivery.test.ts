import { createProducer } from "@mailhook/queue";
import { makeMail, startTcpProxy } from "@mailhook/testing";
import { WebhookPayload } from "@mailhook/webhook";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { endpointFor, mailboxFor, rules, type Stack, sleep, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const world = useWorld();

async function newStack(): Promise<Stack> {
  return world.stack();
}

/** Requests for one test, told apart by the endpoint path. */
const hitsFor = (path: string) => world.receiver.requests.filter((r) => r.path === path);

describe("new mail becomes a signed webhook", () => {
  it("delivers an APPENDed message with a valid Standard Webhooks signature and the payload fields", async () => {
    const stack = await newStack();
    const user = await world.dovecot.createUser("e2e");
    const ep = endpointFor(`${world.receiver.url}/basic`);
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, "support"));
    await stack.store.putEndpoint(ep);
    await stack.store.putRules(
      "default",
      rules([
        {
          id: "invoices",
          name: "Invoices",
          when: { field: "subject", op: "contains", value: "invoice" },
          actions: [{ type: "webhook", endpoint: "hook" }],
        },
        {
          id: "never",
          name: "Never",
          when: { field: "from.domain", op: "equals", value: "nowhere.invalid" },
          actions: [{ type: "webhook", endpoint: "hook" }],
        },
      ]),
    );
    await stack.start();
    await stack.waitForState("support", "INBOX", "connected");

    const raw = await makeMail({
      from: '"Vendor Billing" <Billing@Vendor.example>',
      to: "support@example.test",
      subject: "Your Invoice #4711",
      text: "Amount due: 42 EUR",
      messageId: "<inv-4711@vendor.example>",
    });
    await world.dovecot.append(user.user, "INBOX", raw);
    const [req] = await waitForHits("/basic", 1);

    const payload = WebhookPayload.parse(
      new Webhook(ep.secrets[0]!).verify(req!.body, req!.headers as Record<string, string>),
    );
    expect(req!.headers["webhook-id"]).toMatch(/^msg_/);
    expect(payload.type).toBe("message.matched");
    expect(payload.id).toBe(req!.headers["webhook-id"]);
    expect(payload.mailbox).toEqual({ id: "support", address: `${user.user}@example.test`, folder: "INBOX" });
    expect(payload.rule).toEqual({ id: "invoices", name: "Invoices" });
    expect(payload.message.subject).toBe("Your Invoice #4711");
    expect(payload.message.from).toEqual([{ name: "Vendor Billing", address: "billing@vendor.example" }]);
    expect(payload.message.messageId).toContain("inv-4711@vendor.example");
    expect(payload.message.uid).toBe(1);
    expect(payload.message.text).toContain("Amount due: 42 EUR");
    expect(payload.message.textTruncated).toBe(false);
    // One matching rule, one endpoint: exactly one delivery, also after the retry window.
    await sleep(500);
    expect(hitsFor("/basic")).toHaveLength(1);
    const rec = await stack.store.getDelivery(req!.headers["webhook-id"] as string);
    expect(rec?.status).toBe("delivered");
    expect(rec?.attempts).toHaveLength(1);
  });

  it("with inline first attempts, delivers without a queued job and leaves no safety-net entry behind", async () => {
    const stack = world.stack({ inlineFirstAttempt: true });
    const user = await world.dovecot.createUser("inline");
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, "inline"));
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/inline`));
    await stack.store.putRules(
      "default",
      rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
    );
    await stack.start();
    await stack.waitForState("inline", "INBOX", "connected");
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "inline" }));
    const [req] = await waitForHits("/inline", 1);
    await waitUntil(() => stack.worker?.inlineStats().inFlight === 0, 5_000, "the attempt to settle");
    expect(stack.worker?.inlineStats()).toMatchObject({ inline: 1, queued: 0 });
    expect((await stack.store.getDelivery(req!.headers["webhook-id"] as string))?.status).toBe("delivered");
    const queue = createProducer("webhook.deliver", {
      connection: { url: world.redis.url, maxRetriesPerRequest: null },
      prefix: stack.prefix,
    });
    try {
      expect(Object.values(await queue.queue.getJobCounts()).every((n) => n === 0)).toBe(true);
      // The safety net's entry went with the outcome.
      expect(await stack.store.redis.zcard(stack.store.keys.inlinePending)).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it("catches up all 50 messages that arrived while the watcher was stopped, each exactly once", async () => {
    const stack = await newStack();
    const user = await world.dovecot.createUser("catchup");
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, "catchup"));
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/catchup`));
    await stack.store.putRules(
      "default",
      rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
    );
    await stack.start();
    await stack.waitForState("catchup", "INBOX", "connected");
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "before stop" }));
    await waitForHits("/catchup", 1);

    await stack.stopWatcher();
    for (let i = 0; i < 50; i++)
      await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: `while down ${i}` }));
    await stack.startWatcher();
    const hits = await waitForHits("/catchup", 51, 30_000);
    await sleep(1_000);
    const subjects = hitsFor("/catchup").map(
      (r) => (JSON.parse(r.body) as { message: { subject: string } }).message.subject,
    );
    expect(subjects).toHaveLength(51);
    expect(new Set(subjects).size).toBe(51);
    for (let i = 0; i < 50; i++) expect(subjects).toContain(`while down ${i}`);
    expect(hits.length).toBe(51);
  });

  async function uvStack(id: string, path: string) {
    const stack = await newStack();
    const user = await world.dovecot.createUser(id);
    await world.dovecot.createFolder(user.user, "Tickets");
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, id, { folders: ["Tickets"] }));
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}${path}`));
    await stack.store.putRules(
      "default",
      rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
    );
    await stack.start();
    await stack.waitForState(id, "Tickets", "connected");
    await world.dovecot.append(user.user, "Tickets", await makeMail({ subject: "first generation" }));
    await waitForHits(path, 1);
    return { stack, user, before: await stack.store.getCursor("default", id, "Tickets") };
  }

  /** Old mail restored into a folder keeps its old arrival date (as a restore or a MOVE does). */
  /** Deletes Tickets and puts a new generation holding `n` old messages in its place at once. */
  async function replaceWithOldMail(user: { user: string; pass: string }, n: number) {
    await world.dovecot.createFolder(user.user, "Staging");
    await restoreOldMail(user, n, "Staging");
    await world.dovecot.deleteFolder(user.user, "Tickets");
    const imap = await world.dovecot.client(user);
    try {
      await imap.mailboxRename("Staging", "Tickets");
    } finally {
      await imap.logout();
    }
  }

  async function restoreOldMail(user: { user: string; pass: string }, n: number, folder = "Tickets") {
    const imap = await world.dovecot.client(user);
    try {
      for (let i = 0; i < n; i++) {
        await imap.append(
          folder,
          await makeMail({ subject: `restored ${i}` }),
          [],
          new Date("2021-06-01T10:00:00Z"),
        );
      }
    } finally {
      await imap.logout();
    }
  }

  const uvEvent = (stack: Stack, id: string) =>
    waitUntil(
      async () =>
        (await stack.store.listEvents("default")).some(
          (e) => e.type === "uidvalidity.changed" && e.mailboxId === id,
        ),
      20_000,
      "uidvalidity event",
    );

  const subjectsAt = (path: string) =>
    hitsFor(path).map((r) => (JSON.parse(r.body) as { message: { subject: string } }).message.subject);

  it("notices a folder deleted and re-created under a live watcher, replays none of its old mail, delivers new mail", async () => {
    const { stack, user, before } = await uvStack("uv", "/uv");
    // Dovecot does not tell the selected session; the watcher's probe or re-SELECT must notice.
    // The new generation appears with its old mail in one step (built aside, then renamed): a
    // watcher that noticed an empty re-created folder first would rightly take mail restored into
    // it afterwards for new mail.
    await replaceWithOldMail(user, 3);
    await uvEvent(stack, "uv");
    // The event is recorded before the cursor's reset is written: wait for the cursor itself.
    await waitUntil(
      async () =>
        (await stack.store.getCursor("default", "uv", "Tickets"))?.uidValidity !== before?.uidValidity,
      20_000,
      "cursor reset to the new UIDVALIDITY",
    );
    const after = await stack.store.getCursor("default", "uv", "Tickets");
    expect(after?.uidValidity).not.toBe(before?.uidValidity);
    expect(after?.lastUid).toBeGreaterThanOrEqual(3);

    await world.dovecot.append(user.user, "Tickets", await makeMail({ subject: "second generation" }));
    await waitForHits("/uv", 2);
    await sleep(800);
    expect(subjectsAt("/uv")).toEqual(["first generation", "second generation"]);
  });

  it("after a re-creation it did not see happen, delivers what arrived in the new folder by arrival time, not the old mail", async () => {
    const { stack, user, before } = await uvStack("uv2", "/uv2");
    await stack.stopWatcher();
    await world.dovecot.deleteFolder(user.user, "Tickets");
    await world.dovecot.createFolder(user.user, "Tickets");
    await restoreOldMail(user, 3);
    await world.dovecot.append(user.user, "Tickets", await makeMail({ subject: "arrived while unnoticed" }));
    await stack.startWatcher();
    await uvEvent(stack, "uv2");
    // The event is recorded before the cursor's reset is written: wait for the cursor itself.
    await waitUntil(
      async () =>
        (await stack.store.getCursor("default", "uv2", "Tickets"))?.uidValidity !== before?.uidValidity,
      20_000,
      "cursor reset to the new UIDVALIDITY",
    );
    const after = await stack.store.getCursor("default", "uv2", "Tickets");
    expect(after?.uidValidity).not.toBe(before?.uidValidity);
    expect(after?.lastUid).toBe(4);
    await waitForHits("/uv2", 2);
    await sleep(800);
    expect(subjectsAt("/uv2")).toEqual(["first generation", "arrived while unnoticed"]);
  });

  it("reads under 64 KB from IMAP for a message with a 5 MB attachment when rules need only the subject", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: world.dovecot.port });
    try {
      const stack = await newStack();
      const user = await world.dovecot.createUser("big");
      const mbx = mailboxFor(world.dovecot, user, "big", { port: proxy.port });
      await stack.store.putMailbox(mbx);
      await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/big`));
      await stack.store.putRules(
        "default",
        rules([
          {
            id: "subj",
            name: "Subject",
            when: { field: "subject", op: "startsWith", value: "scan" },
            actions: [{ type: "webhook", endpoint: "hook", include: { text: false } }],
          },
        ]),
      );
      await stack.start();
      await stack.waitForState("big", "INBOX", "connected");
      const pdf = Buffer.alloc(5 * 1024 * 1024);
      for (let i = 0; i < pdf.length; i++) pdf[i] = (i * 7919) % 251;
      const raw = await makeMail({
        subject: "scan 2024-03",
        text: "see attachment",
        attachments: [{ filename: "scan.pdf", contentType: "application/pdf", content: pdf }],
      });
      expect(raw.length).toBeGreaterThan(5 * 1024 * 1024);
      proxy.resetCounters();
      await world.dovecot.append(user.user, "INBOX", raw);
      const [req] = await waitForHits("/big", 1, 20_000);
      const read = proxy.bytesFromTarget();
      expect(read).toBeGreaterThan(0);
      expect(read).toBeLessThan(64 * 1024);
      const payload = JSON.parse(req!.body) as {
        message: { attachments: { filename: string; contentType: string; size: number; partId: string }[] };
      };
      expect(payload.message.attachments).toHaveLength(1);
      expect(payload.message.attachments[0]).toMatchObject({
        filename: "scan.pdf",
        contentType: "application/pdf",
      });
      // BODYSTRUCTURE reports the encoded size; the decoded size is within a few percent of 5 MB.
      expect(payload.message.attachments[0]!.size).toBeGreaterThan(5 * 1024 * 1024 * 0.95);
      expect(payload.message.attachments[0]!.size).toBeLessThan(5 * 1024 * 1024 * 1.05);
      // The worker's own count of message bytes (for /metrics) agrees: a few KB, not megabytes.
      // Counters are written once a second.
      let counted: Record<string, string> = {};
      await waitUntil(
        async () => {
          counted = await stack.redis.hgetall(stack.store.keys.metrics);
          return counted.fetch_messages !== undefined;
        },
        10_000,
        "the fetch counters",
      );
      expect(Number(counted.fetch_messages)).toBe(1);
      expect(Number(counted.fetch_bytes)).toBeGreaterThan(100);
      expect(Number(counted.fetch_bytes)).toBeLessThan(read);
    } finally {
      await proxy.stop();
    }
  });

  it("reports a wrong password clearly, retries with backoff, and keeps other mailboxes working", async () => {
    const stack = await newStack();
    const good = await world.dovecot.createUser("good");
    const bad = await world.dovecot.createUser("bad");
    await stack.store.putMailbox(mailboxFor(world.dovecot, good, "good"));
    await stack.store.putMailbox(
      mailboxFor(world.dovecot, bad, "bad", { password: "definitely-wrong-password" }),
    );
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/auth`));
    await stack.store.putRules(
      "default",
      rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
    );
    await stack.start();
    await stack.waitForState("good", "INBOX", "connected");
    await stack.waitForState("bad", "INBOX", "auth-failed");
    const status = (await stack.store.getFolderStatuses("default", "bad")).INBOX;
    expect(status?.lastError).toMatch(/auth/i);

    await world.dovecot.append(good.user, "INBOX", await makeMail({ subject: "unaffected" }));
    await waitForHits("/auth", 1);
    // Several login attempts, spaced out by the backoff (base 500 ms in tests, doubling).
    await waitUntil(
      () => stack.logs.entries().filter((e) => e.mailboxId === "bad" && e.authFailed === true).length >= 3,
      15_000,
      "3 auth failures",
    );
    const failures = stack.logs.entries().filter((e) => e.mailboxId === "bad" && e.authFailed === true);
    const gaps = failures
      .slice(1)
      .map((e, i) => Date.parse(e.time as string) - Date.parse(failures[i]!.time as string));
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! * 0.9);
    expect(gaps[0]!).toBeGreaterThanOrEqual(250);
    expect(stack.logs.text()).not.toContain("definitely-wrong-password");
    expect(stack.logs.text()).not.toContain(good.pass);
  });
});

async function waitForHits(path: string, n: number, timeoutMs = 15_000) {
  await waitUntil(() => hitsFor(path).length >= n, timeoutMs, `${n} webhook(s) at ${path}`);
  return hitsFor(path);
}
