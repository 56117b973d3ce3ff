import { allPages, createClient, MailhookError } from "@mailhook/client";
import { freePort, makeMail } from "@mailhook/testing";
import { describe, expect, it } from "vitest";
import { useInstallation } from "./support/installation.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const world = useWorld();
const start = useInstallation(world);

async function caught(p: Promise<unknown>): Promise<MailhookError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MailhookError);
  return err as MailhookError;
}

describe("the typed client against a real api", () => {
  it("surfaces the API's error shape: code, message, details, request id", async () => {
    const { client, url, readOnlyToken } = await start();
    const invalid = await caught(
      client.mailboxes.create({
        address: "x@example.test",
        host: "127.0.0.1",
        port: 0,
        tls: "none",
        auth: { type: "password", user: "u", password: "p" },
      }),
    );
    expect(invalid).toMatchObject({ status: 400, code: "VALIDATION_FAILED", retryable: false });
    expect(invalid.details.map((d) => d.path)).toContain("body.port");
    expect(invalid.requestId).toMatch(/\S+/);
    expect(invalid.describe()).toContain("body.port:");

    const missing = await caught(client.rules.get("no-such-rule"));
    expect(missing).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(missing.message).toContain("no-such-rule");

    const anon = await caught(createClient({ baseUrl: url, token: "mh_wrong" }).mailboxes.list());
    expect(anon).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });

    const ro = createClient({ baseUrl: url, token: readOnlyToken });
    expect((await ro.endpoints.list()).data).toEqual([]);
    const forbidden = await caught(ro.endpoints.create({ url: "http://127.0.0.1:9/x" }));
    expect(forbidden).toMatchObject({ status: 403, code: "FORBIDDEN" });

    const closed = await freePort();
    const down = await caught(
      createClient({ baseUrl: `http://127.0.0.1:${closed}`, token: "t" }).rules.list(),
    );
    expect(down).toMatchObject({ status: 0, code: "UNREACHABLE", retryable: true });
  });

  it("configures, dry-runs, follows a delivery to dead and replays it, and backfills exactly once", async () => {
    const { client } = await start();
    const user = await world.dovecot.createUser("client");
    // Mail from before the mailbox existed: the watcher (start: new) never sees it; backfill does.
    for (const n of [1, 2])
      await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: `Invoice old ${n}` }));

    const ep = await client.endpoints.create({ url: `${world.receiver.url}/client-hook` });
    expect(ep.secret).toMatch(/^whsec_/);
    const mbx = await client.mailboxes.create({
      address: `${user.user}@example.test`,
      host: "127.0.0.1",
      port: world.dovecot.port,
      tls: "none",
      tlsVerify: false,
      auth: { type: "password", user: user.user, password: user.pass },
    });
    const rule = await client.rules.create({
      id: "invoices",
      name: "Invoices",
      when: { field: "subject", op: "contains", value: "invoice" },
      actions: [{ type: "webhook", endpoint: ep.id }],
    });
    expect(rule.etag).toMatch(/\S/);
    expect((await client.mailboxes.test(mbx.id)).ok).toBe(true);

    const dry = await client.rules.test({ eml: "From: a@b.test\r\nSubject: Invoice 7\r\n\r\nhi\r\n" });
    const result = dry.messages[0]?.results[0];
    expect(result).toMatchObject({ matched: true, rule: { id: "invoices" } });
    expect(result?.condition).toMatchObject({
      kind: "leaf",
      field: "subject",
      result: true,
      seen: ["Invoice 7"],
    });

    await waitUntil(
      async () => (await client.mailboxes.status(mbx.id)).state === "connected",
      15_000,
      "connected",
    );
    world.receiver.setHandler(() => ({ status: 500, body: "down for maintenance" }));
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "Invoice new" }));
    await waitUntil(
      async () => (await client.deliveries.list({ status: "dead" })).data.length === 1,
      30_000,
      "a dead delivery",
    );
    const [dead] = (await client.deliveries.list({ status: "dead" })).data;
    const full = await client.deliveries.get(dead?.id ?? "");
    expect(full.attempts.length).toBeGreaterThanOrEqual(2);
    expect(full.attempts[0]).toMatchObject({ status: 500, responsePreview: "down for maintenance" });

    world.receiver.setHandler(() => ({ status: 200, body: "ok" }));
    const replayed = await client.deliveries.replay(full.id);
    expect(replayed.id).toBe(full.id);
    await waitUntil(
      async () => (await client.deliveries.get(full.id)).status === "delivered",
      15_000,
      "replay delivered",
    );

    // Backfill: SEARCH finds all three (two old, one the watcher already sent), only the old are new.
    const today = new Date().toISOString().slice(0, 10);
    const bf = await client.mailboxes.backfill(mbx.id, { since: today });
    expect(bf.total).toBe(3);
    await waitUntil(async () => (await client.backfills.get(bf.id)).done, 30_000, "backfill done");
    expect(await client.backfills.get(bf.id)).toMatchObject({
      total: 3,
      processed: 3,
      failed: 0,
      pending: 0,
    });
    const all = async () => {
      const out: string[] = [];
      for await (const d of allPages((p) => client.deliveries.list(p), 2)) out.push(d.id);
      return out;
    };
    await waitUntil(async () => (await all()).length === 3, 15_000, "three deliveries");
    const again = await client.mailboxes.backfill(mbx.id, { since: today });
    await waitUntil(async () => (await client.backfills.get(again.id)).done, 30_000, "second backfill done");
    expect(new Set(await all()).size).toBe(3);
    expect(await all()).toHaveLength(3);
  });
});
