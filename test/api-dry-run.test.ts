import { deliveryId, messageKey } from "@mailhook/model";
import { WebhookPayload } from "@mailhook/webhook";
import { describe, expect, it } from "vitest";
import { useApi } from "./support/api.js";
import { parkedMailbox } from "./support/records.js";

const api = useApi();

const eml = [
  "From: Billing <billing@vendor.com>",
  "To: invoices@acme.test",
  "Subject: Invoice #4711",
  "Message-ID: <x1@vendor.com>",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "Please pay.",
  "",
].join("\r\n");

describe("POST /v1/rules/test: the payload that would be sent", () => {
  it("happy: per matched rule, one payload per webhook action, with the worker's ids and includes", async () => {
    const { token, tenantId } = await api.tenant("dry-payload");
    const ep = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/hook" });
    const r = await api.json("POST", "/v1/rules/test", token, {
      eml,
      mailboxId: "support",
      rules: [
        {
          id: "inv",
          name: "Invoices",
          when: { field: "subject", op: "contains", value: "Invoice" },
          extract: { no: { field: "subject", pattern: "#(\\d+)" } },
          actions: [
            { type: "webhook", endpoint: ep.body.id, include: { text: true, headers: true } },
            { type: "webhook", endpoint: "ep_missing", include: { text: false } },
            { type: "move", to: "Done", after: "webhook" },
          ],
        },
        {
          id: "never",
          name: "Never",
          when: { field: "subject", op: "contains", value: "nope" },
          actions: [{ type: "webhook", endpoint: ep.body.id }],
        },
      ],
    });
    expect(r.status).toBe(200);
    const [inv, never] = r.body.messages[0].results;
    expect(never).toMatchObject({ matched: false, webhooks: [] });
    expect(inv.matched).toBe(true);
    expect(inv.webhooks).toHaveLength(2);
    const [sent, skipped] = inv.webhooks;
    const key = messageKey("support", "INBOX", 0, 1);
    expect(sent).toMatchObject({
      endpointId: ep.body.id,
      deliveryId: deliveryId(key, "inv", ep.body.id),
      endpointExists: true,
      omitted: null,
    });
    const payload = WebhookPayload.parse(sent.payload);
    expect(sent.bytes).toBe(Buffer.byteLength(JSON.stringify(sent.payload)));
    expect(payload).toMatchObject({
      type: "message.matched",
      id: sent.deliveryId,
      tenant: tenantId,
      mailbox: { id: "support", folder: "INBOX" },
      rule: { id: "inv", name: "Invoices" },
      extracted: { no: "4711" },
      message: { subject: "Invoice #4711", messageId: "<x1@vendor.com>" },
    });
    expect(payload.message.text).toContain("Please pay.");
    expect(payload.message.headers?.subject).toEqual(["Invoice #4711"]);
    expect(payload.message.html).toBeUndefined();
    // The second action names an endpoint the tenant lacks: shown, flagged as skipped by the worker.
    expect(skipped).toMatchObject({ endpointId: "ep_missing", endpointExists: false });
    expect(WebhookPayload.parse(skipped.payload).message.text).toBeUndefined();
    // Nothing was recorded or sent.
    expect(await api.store.listDeliveryIds(tenantId)).toEqual([]);
  });

  it("uses the tenant's mailbox address when the message is placed in one of its mailboxes", async () => {
    const { token, tenantId } = await api.tenant("dry-address");
    await api.store.putMailbox(parkedMailbox(tenantId, "support", { address: "support@acme.test" }));
    const r = await api.json("POST", "/v1/rules/test", token, {
      eml,
      mailboxId: "support",
      rules: [{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "x" }] }],
    });
    expect(r.body.messages[0].results[0].webhooks[0].payload.mailbox.address).toBe("support@acme.test");
    // Another tenant's mailbox of the same id lends nothing.
    const other = await api.tenant("dry-other");
    const o = await api.json("POST", "/v1/rules/test", other.token, {
      eml,
      mailboxId: "support",
      rules: [{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "x" }] }],
    });
    expect(o.body.messages[0].results[0].webhooks[0].payload.mailbox.address).toBe("");
  });

  it("bounded: a payload over 256 KiB is described, not returned; all payloads of a run stay under 4 MiB", async () => {
    const { token } = await api.tenant("dry-bounded");
    const html = (kb: number) =>
      [
        "From: a@vendor.com",
        "Subject: big",
        "Content-Type: text/html; charset=utf-8",
        "",
        `<p>${"x".repeat(kb * 1024)}</p>`,
        "",
      ].join("\r\n");
    const rule = (i: number) => ({
      id: `r${i}`,
      name: `r${i}`,
      actions: [{ type: "webhook", endpoint: "x", include: { html: true, text: false } }],
    });
    const one = await api.json("POST", "/v1/rules/test", token, { eml: html(300), rules: [rule(0)] });
    expect(one.status).toBe(200);
    const [big] = one.body.messages[0].results[0].webhooks;
    expect(big.payload).toBeNull();
    expect(big.bytes).toBeGreaterThan(256 * 1024);
    expect(big.omitted).toContain("more than the 262144 a dry run returns");

    const many = await api.json("POST", "/v1/rules/test", token, {
      eml: html(200),
      rules: Array.from({ length: 30 }, (_, i) => rule(i)),
    });
    expect(many.status).toBe(200);
    const hooks = many.body.messages[0].results.flatMap((r: { webhooks: unknown[] }) => r.webhooks) as {
      bytes: number;
      payload: unknown;
      omitted: string | null;
    }[];
    const shown = hooks.filter((h) => h.payload !== null);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(30);
    expect(shown.reduce((n, h) => n + h.bytes, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(hooks.find((h) => h.payload === null)?.omitted).toMatch(/^the answer already holds \d+ bytes/);
  });
});
