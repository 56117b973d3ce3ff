import { keys } from "@mailhook/store";
import {
  type ImapUser,
  makeMail,
  type ReceivedRequest,
  startReceiver,
  startRedis,
  startTcpProxy,
  type TestImapServer,
  type TestReceiver,
  type TestRedis,
} from "@mailhook/testing";
import { WebhookPayload } from "@mailhook/webhook";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { endpointFor, mailboxFor, rules, Stack, waitUntil } from "../support/stack.js";

/**
 * The compatibility scenarios every IMAP server must pass: one test file per server
 * (test/compat-{dovecot,cyrus,courier}.test.ts) runs them against its own server. Nothing here
 * names a server except the expectations a server's own announcements decide (MOVE, SPECIAL-USE,
 * namespace); mailhook itself decides by capability and by answer.
 */
export function compatSuite(name: string, start: () => Promise<TestImapServer>, skip: string | null): void {
  describe.skipIf(skip !== null)(`${name}${skip ? ` (skipped: ${skip})` : ""}`, () => {
    let redis: TestRedis;
    let server: TestImapServer;
    let receiver: TestReceiver;
    const stacks: Stack[] = [];
    let seq = 0;

    beforeAll(async () => {
      [redis, server, receiver] = await Promise.all([startRedis(), start(), startReceiver()]);
    });
    afterEach(async () => {
      await Promise.all(stacks.splice(0).map((s) => s.stop()));
    });
    afterAll(async () => {
      await Promise.all([redis?.stop(), server?.stop(), receiver?.stop()]);
    });

    const hits = (path: string) => receiver.requests.filter((r) => r.path === path);
    const waitForHits = async (path: string, n: number, timeoutMs = 20_000): Promise<ReceivedRequest[]> => {
      try {
        await waitUntil(() => hits(path).length >= n, timeoutMs, `${n} webhook(s) at ${path}`);
      } catch (err) {
        // What watcher and worker said (the newest stack's log): a timeout alone does not say why.
        const tail = stacks.at(-1)?.logs.lines.slice(-40).join("\n") ?? "";
        throw new Error(`${(err as Error).message}\nlast log lines of the stack:\n${tail}`);
      }
      return hits(path);
    };
    const payloadOf = (r: ReceivedRequest) => WebhookPayload.parse(JSON.parse(r.body));

    /** Watcher + worker for one fresh user, a catch-all webhook to a path of its own, plus `extra` rules. */
    async function setUp(
      opts: {
        folders?: string[];
        extra?: unknown[];
        port?: number;
        timing?: ConstructorParameters<typeof Stack>[0]["timing"];
        trashFolder?: string;
      } = {},
    ) {
      const user = await server.createUser("compat");
      const path = `/${name}-${++seq}`;
      const folders = opts.folders ?? ["INBOX"];
      for (const f of folders) await server.createFolder(user.user, f);
      const stack = new Stack({ redisUrl: redis.url, ...(opts.timing ? { timing: opts.timing } : {}) });
      stacks.push(stack);
      await stack.store.putMailbox(
        mailboxFor({ port: opts.port ?? server.port }, user, "mbx", {
          folders,
          ...(opts.trashFolder ? { trashFolder: opts.trashFolder } : {}),
        }),
      );
      await stack.store.putEndpoint(endpointFor(`${receiver.url}${path}`));
      await stack.store.putRules(
        "default",
        rules([
          { id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] },
          ...(opts.extra ?? []),
        ]),
      );
      await stack.start();
      for (const f of folders) await stack.waitForState("mbx", f, "connected", 30_000);
      return { user, path, stack };
    }

    const subjects = (reqs: ReceivedRequest[]) => reqs.map((r) => payloadOf(r).message.subject).sort();

    it("IDLE: a new message is pushed and delivered without waiting for a probe or reselect", async () => {
      // Probes and reselects far away: only the server's IDLE push can bring this message in time.
      const { user, path, stack } = await setUp({ timing: { healthCheckMs: 600_000, reselectMs: 600_000 } });
      await server.append(user.user, "INBOX", await makeMail({ subject: "pushed" }));
      const [req] = await waitForHits(path, 1, 30_000);
      const p = payloadOf(req!);
      expect(p.message.subject).toBe("pushed");
      expect(p.mailbox.folder).toBe("INBOX");
      // The cursor is two integers, whether or not the server's SELECT sent [UIDNEXT].
      const cursor = await stack.store.getCursor("default", "mbx", "INBOX");
      expect(cursor?.lastUid).toBe(p.message.uid);
      expect(cursor?.uidValidity).toBe(p.message.uidValidity);
    });

    it("catch-up: mail that arrived while the watcher was down is delivered once it is back", async () => {
      const { user, path, stack } = await setUp();
      await server.append(user.user, "INBOX", await makeMail({ subject: "before" }));
      await waitForHits(path, 1);
      await stack.stopWatcher();
      await server.appendMany(user.user, "INBOX", [
        await makeMail({ subject: "while-down-1" }),
        await makeMail({ subject: "while-down-2" }),
        await makeMail({ subject: "while-down-3" }),
      ]);
      await stack.startWatcher();
      const all = await waitForHits(path, 4);
      expect(subjects(all)).toEqual(["before", "while-down-1", "while-down-2", "while-down-3"]);
      expect(stack.logs.text()).not.toContain("UIDVALIDITY changed since enqueue");
    });

    it("a second folder in the server's namespace is watched, and worker and watcher agree on its UIDVALIDITY", async () => {
      const orders = server.folder("Orders");
      const { user, path, stack } = await setUp({ folders: ["INBOX", orders] });
      await server.append(user.user, orders, await makeMail({ subject: "order 1" }));
      await server.append(user.user, "INBOX", await makeMail({ subject: "inbox 1" }));
      const reqs = await waitForHits(path, 2);
      const byFolder = Object.fromEntries(
        reqs.map((r) => [payloadOf(r).mailbox.folder, payloadOf(r).message.subject]),
      );
      expect(byFolder).toEqual({ INBOX: "inbox 1", [orders]: "order 1" });
      // A folder never opened read-write before (Courier assigns its UIDVALIDITY then): no job stale.
      expect(stack.logs.text()).not.toContain("UIDVALIDITY changed since enqueue");
    });

    it("actions: flag, copy, move (or its COPY + EXPUNGE fallback) and delete to the server's own Trash", async () => {
      const done = server.folder("Done");
      const archive = server.folder("Archive");
      const trash = server.folder("Trash");
      const setup = await setUp({
        folders: ["INBOX"],
        extra: [
          {
            id: "f",
            name: "F",
            when: { field: "subject", op: "equals", value: "act flag" },
            actions: [{ type: "flag", add: ["\\Flagged", "$Done"] }],
          },
          {
            id: "c",
            name: "C",
            when: { field: "subject", op: "equals", value: "act copy" },
            actions: [{ type: "copy", to: archive }],
          },
          {
            id: "m",
            name: "M",
            when: { field: "subject", op: "equals", value: "act move" },
            actions: [{ type: "move", to: done }],
          },
          {
            id: "d",
            name: "D",
            when: { field: "subject", op: "equals", value: "act delete" },
            actions: [
              { type: "webhook", endpoint: "hook" },
              { type: "delete", after: "webhook" },
            ],
          },
        ],
      });
      const { user } = setup;
      for (const f of [done, archive]) await server.createFolder(user.user, f);
      // The server's own Trash where it flags one (Dovecot and Cyrus here); Courier flags none.
      const flagged = await serverTrash(server, user);
      for (const s of ["act flag", "act copy", "act move", "act delete"])
        await server.append(user.user, "INBOX", await makeMail({ subject: s }));

      await waitForPlaces(server, user, "act flag", [{ folder: "INBOX", flags: ["$Done", "\\Flagged"] }]);
      await waitForPlaces(server, user, "act copy", [
        { folder: archive, flags: [] },
        { folder: "INBOX", flags: [] },
      ]);
      await waitForPlaces(server, user, "act move", [{ folder: done, flags: [] }]);
      if (flagged) {
        await waitForPlaces(server, user, "act delete", [{ folder: flagged, flags: [] }]);
        return;
      }
      // No SPECIAL-USE \Trash: a folder named Trash is not guessed; the delete fails permanently and
      // says how to fix it, and the message stays where it was.
      const [hook] = (await waitForHits(setup.path, 5)).filter(
        (r) => payloadOf(r).rule.id === "d" && payloadOf(r).message.subject === "act delete",
      );
      const id = hook?.headers["webhook-id"] ?? "";
      let reason = "";
      await waitUntil(
        async () => {
          const f = (await setup.stack.store.getDelivery(id))?.followUps?.[0];
          reason = f?.state === "failed" ? (f.reason ?? "") : "";
          return reason !== "";
        },
        20_000,
        "the delete follow-up to fail",
      );
      expect(reason).toMatch(/announces no \\Trash folder .*trashFolder/);
      expect((await whereIs(server, user, "act delete")).map((p) => p.folder)).toEqual(["INBOX"]);
      expect(await serverTrash(server, user)).toBeNull();
      // A folder merely named Trash exists on Courier, and still is not used.
      expect(trash).toBe("INBOX.Trash");
    });

    it("delete with an explicit trashFolder moves there on every server", async () => {
      const trash = server.folder("Bin");
      const setup = await setUp({
        trashFolder: trash,
        extra: [
          {
            id: "d",
            name: "D",
            when: { field: "subject", op: "equals", value: "to the bin" },
            actions: [{ type: "delete" }],
          },
        ],
      });
      await server.createFolder(setup.user.user, trash);
      await server.append(setup.user.user, "INBOX", await makeMail({ subject: "to the bin" }));
      await waitForPlaces(server, setup.user, "to the bin", [{ folder: trash, flags: [] }]);
    });

    it("a 5 MB attachment is not downloaded for a webhook that needs only the text", async () => {
      const proxy = await startTcpProxy({ host: "127.0.0.1", port: server.port });
      try {
        const { user, path } = await setUp({ port: proxy.port });
        const pdf = Buffer.alloc(5 * 1024 * 1024, 7);
        await server.append(
          user.user,
          "INBOX",
          await makeMail({
            subject: "big",
            text: "see attachment",
            attachments: [{ filename: "big.pdf", contentType: "application/pdf", content: pdf }],
          }),
        );
        const [req] = await waitForHits(path, 1);
        const p = payloadOf(req!);
        expect(p.message.text?.trim()).toBe("see attachment");
        expect(p.message.attachments.map((a) => a.filename)).toEqual(["big.pdf"]);
        // Everything the watcher and the worker read from the server: far below the 6.8 MB of base64.
        expect(proxy.bytesFromTarget()).toBeLessThan(200_000);
      } finally {
        await proxy.stop();
      }
    });

    it("a watched folder deleted and re-created: the new UIDVALIDITY is noticed and new mail delivered", async () => {
      const box = server.folder("Recreated");
      // The probe (every 1 s here, with the reselect at every probe as by default) must notice: a
      // new UIDVALIDITY or a NO in STATUS, or a new UIDVALIDITY at the reselect. Dovecot answers
      // STATUS for the selected folder from the session's stale view (the old UIDVALIDITY, seen in
      // 30 probes of 30 s while the new mail waited), so there only the reselect can.
      const { user, path, stack } = await setUp({ folders: [box] });
      await server.append(user.user, box, await makeMail({ subject: "first generation" }));
      await waitForHits(path, 1);
      const before = await stack.store.getCursor("default", "mbx", box);
      await server.deleteFolder(user.user, box);
      await server.createFolder(user.user, box);
      await server.append(user.user, box, await makeMail({ subject: "second generation" }));
      const reqs = await waitForHits(path, 2, 30_000);
      expect(subjects(reqs)).toEqual(["first generation", "second generation"]);
      const after = await stack.store.getCursor("default", "mbx", box);
      expect(after?.uidValidity).not.toBe(before?.uidValidity);
      const events = await stack.store.listEvents("default");
      expect(events.some((e) => e.type === "uidvalidity.changed" && e.folder === box)).toBe(true);
    });

    it("server restart: the watcher reconnects and mail sent after the restart is delivered", async () => {
      const { user, path, stack } = await setUp();
      await server.append(user.user, "INBOX", await makeMail({ subject: "before restart" }));
      await waitForHits(path, 1);
      await server.kill();
      await stack.waitForState("mbx", "INBOX", "error", 30_000);
      await server.start();
      await stack.waitForState("mbx", "INBOX", "connected", 30_000);
      await server.append(user.user, "INBOX", await makeMail({ subject: "after restart" }));
      const reqs = await waitForHits(path, 2, 30_000);
      expect(subjects(reqs)).toEqual(["after restart", "before restart"]);
    });

    it("a stored cursor that is not integers is repaired with an event, not fatal", async () => {
      const user = await server.createUser("repair");
      const stack = new Stack({ redisUrl: redis.url });
      stacks.push(stack);
      const path = `/${name}-repair`;
      await stack.store.putMailbox(mailboxFor({ port: server.port }, user, "mbx"));
      await stack.store.putEndpoint(endpointFor(`${receiver.url}${path}`));
      await stack.store.putRules(
        "default",
        rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
      );
      // What an older version saved against a server without [UIDNEXT].
      await stack.redis.hset(
        keys(stack.prefix).cursor("default", "mbx", "INBOX"),
        "uidValidity",
        "1",
        "lastUid",
        "NaN",
      );
      await expect(
        stack.store.advanceCursor("default", "mbx", "INBOX", { uidValidity: 1, lastUid: Number.NaN }, null),
      ).rejects.toThrow(/not non-negative integers/);
      await stack.start();
      await stack.waitForState("mbx", "INBOX", "connected", 30_000);
      await server.append(user.user, "INBOX", await makeMail({ subject: "after repair" }));
      await waitForHits(path, 1);
      const events = await stack.store.listEvents("default");
      expect(events.find((e) => e.type === "cursor.repaired")?.detail).toMatchObject({ lastUid: "NaN" });
      const cursor = await stack.store.getCursor("default", "mbx", "INBOX");
      expect(Number.isInteger(cursor?.lastUid)).toBe(true);
      expect(stack.logs.text()).toContain("stored cursor was not integers");
    });
  });
}

interface Place {
  folder: string;
  flags: string[];
}

async function serverTrash(server: TestImapServer, user: ImapUser): Promise<string | null> {
  const c = await server.client(user, { imapflow: { disableAutoIdle: true } });
  try {
    const list = await c.list();
    return list.find((b) => b.specialUse === "\\Trash" && b.specialUseSource === "extension")?.path ?? null;
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/** Every folder holding a message with this subject, with its flags. */
async function whereIs(server: TestImapServer, user: ImapUser, subject: string): Promise<Place[]> {
  const c = await server.client(user, { imapflow: { disableAutoIdle: true } });
  try {
    const places: Place[] = [];
    for (const box of await c.list()) {
      if (box.flags.has("\\Noselect") || box.flags.has("\\NonExistent")) continue;
      const mb = await c.mailboxOpen(box.path, { readOnly: true });
      if (mb.exists === 0) continue;
      for await (const m of c.fetch("1:*", { flags: true, envelope: true })) {
        if (m.envelope?.subject === subject && !m.flags?.has("\\Deleted"))
          places.push({
            folder: box.path,
            flags: [...(m.flags ?? [])].filter((f) => f !== "\\Recent").sort(),
          });
      }
    }
    return places.sort((a, b) => a.folder.localeCompare(b.folder));
  } finally {
    await c.logout().catch(() => c.close());
  }
}

async function waitForPlaces(
  server: TestImapServer,
  user: ImapUser,
  subject: string,
  want: Place[],
): Promise<void> {
  let last: Place[] = [];
  const wanted = JSON.stringify([...want].sort((a, b) => a.folder.localeCompare(b.folder)));
  await waitUntil(
    async () => {
      last = await whereIs(server, user, subject);
      return JSON.stringify(last) === wanted;
    },
    20_000,
    `"${subject}" to be in ${JSON.stringify(want)}`,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last seen ${JSON.stringify(last)}`);
  });
}
