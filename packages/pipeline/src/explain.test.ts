import { validateRules } from "@mailhook/rules";
import { describe, expect, it } from "vitest";
import { explainRawMessage } from "./explain.js";

const eml = Buffer.from(
  [
    "From: Billing <billing@vendor.example>",
    "To: finance@acme.example",
    "Subject: Invoice #4711",
    "Message-ID: <a@vendor.example>",
    "Date: Tue, 24 Nov 2026 10:00:00 +0000",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Amount due: 42 EUR",
    "",
  ].join("\r\n"),
);

describe("explainRawMessage", () => {
  it("explains per rule and per condition what matched and what value it saw", async () => {
    const r = validateRules([
      {
        id: "invoices",
        name: "Invoices",
        when: {
          all: [
            { field: "from.domain", op: "equals", value: "vendor.example" },
            { field: "subject", op: "matches", value: "invoice #(\\d+)", flags: "i" },
          ],
        },
        actions: [{ type: "webhook", endpoint: "e" }],
      },
      {
        id: "big",
        name: "Big",
        when: { field: "text", op: "contains", value: "999 EUR" },
        actions: [{ type: "webhook", endpoint: "e" }],
      },
    ]);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const explained = await explainRawMessage(r.rules, eml, { mailboxId: "m", folder: "INBOX" });
    const invoices = explained.find((e) => e.rule.id === "invoices");
    const big = explained.find((e) => e.rule.id === "big");
    expect(invoices?.matched).toBe(true);
    expect(big?.matched).toBe(false);
    expect(JSON.stringify(invoices)).toContain("vendor.example");
    expect(JSON.stringify(big)).toContain("Amount due: 42 EUR");
  });
});
