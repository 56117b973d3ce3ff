import { type Rule, type RuleInput, validateRules } from "@mailhook/rules";

/** Endpoint ids the bench rules post to; each maps to its own path on the bench receiver. */
export const BENCH_ENDPOINTS = ["archive", "digest", "tickets", "finance", "alerts"] as const;

/**
 * Twenty rules of the kind a support desk, a finance team and an ops team write: sender domains,
 * subject patterns, body phrases, attachments, list and auto-reply headers, sizes. The first one
 * archives every message, so "the last webhook" of a run is well defined (one per message on the
 * `archive` endpoint, which no other rule uses); the others add the per-message rule work and the extra deliveries of real use.
 * Together they need envelope, a few named headers, the text part and attachment metadata: the
 * common case the fetch planner is built for.
 */
export const BENCH_RULES: RuleInput[] = [
  { id: "archive", name: "Archive everything", actions: [webhook("archive", { text: false })] },
  {
    id: "support-tickets",
    name: "Support mail becomes a ticket",
    when: {
      all: [
        { not: { field: "header:auto-submitted", op: "exists" } },
        { not: { field: "header:list-id", op: "exists" } },
        { field: "subject", op: "matches", value: "help|problem|issue|error|support|question", flags: "i" },
      ],
    },
    actions: [webhook("tickets")],
  },
  {
    id: "invoices",
    name: "Invoices to accounting",
    priority: 10,
    when: {
      any: [
        { field: "subject", op: "matches", value: "invoice|rechnung|receipt|payment", flags: "i" },
        { field: "attachment.contentType", op: "equals", value: "application/pdf" },
      ],
    },
    extract: { invoiceNo: { field: "subject", pattern: "#\\s*(\\d+)" } },
    actions: [webhook("finance")],
  },
  {
    id: "vendors",
    name: "Known vendors",
    when: { field: "from.domain", op: "in", value: ["paypal.com", "amazon.com", "ebay.com", "apple.com"] },
    actions: [webhook("finance")],
  },
  {
    id: "outage",
    name: "Outage words in the body",
    when: {
      field: "text",
      op: "matches",
      value: "\\b(outage|downtime|server (is )?down|urgent)\\b",
      flags: "i",
    },
    actions: [webhook("alerts")],
  },
  {
    id: "big-attachments",
    name: "Large attachments",
    when: { field: "attachment.size", op: "gt", value: "1MB" },
    actions: [webhook("alerts", { text: false })],
  },
  {
    id: "security-lists",
    name: "Security mailing lists",
    when: { field: "header:list-id", op: "matches", value: "secur|bugtraq|cert", flags: "i" },
    actions: [webhook("alerts")],
  },
  {
    id: "replies",
    name: "Replies to our tickets",
    when: { field: "subject", op: "matches", value: "^(re|aw|sv):\\s*\\[?ticket", flags: "i" },
    actions: [webhook("tickets")],
  },
  {
    id: "newsletters",
    name: "Newsletters",
    when: {
      any: [
        { field: "header:list-unsubscribe", op: "exists" },
        { field: "subject", op: "contains", value: "newsletter" },
      ],
    },
    actions: [webhook("digest", { text: false })],
  },
  {
    id: "auto-replies",
    name: "Auto-replies are noted, not ticketed",
    when: {
      any: [
        { field: "header:auto-submitted", op: "exists" },
        {
          field: "subject",
          op: "matches",
          value: "out of (the )?office|autoreply|automatic reply",
          flags: "i",
        },
      ],
    },
    actions: [webhook("tickets", { text: false })],
  },
  {
    id: "spreadsheets",
    name: "Spreadsheets for finance",
    when: { field: "attachment.filename", op: "matches", value: "\\.(xlsx?|csv|ods)$", flags: "i" },
    actions: [webhook("finance")],
  },
  {
    id: "unsubscribe-requests",
    name: "Unsubscribe requests",
    when: { field: "text", op: "contains", value: "please remove me" },
    actions: [webhook("tickets")],
  },
  {
    id: "refunds",
    name: "Refund requests",
    when: {
      all: [
        { field: "text", op: "matches", value: "refund|money back|chargeback", flags: "i" },
        { not: { field: "from.domain", op: "endsWith", value: "example.com" } },
      ],
    },
    actions: [webhook("finance")],
  },
  {
    id: "orders",
    name: "Order numbers",
    when: { field: "subject", op: "matches", value: "order\\s*(no\\.?|number|#)\\s*\\d+", flags: "i" },
    extract: { orderNo: { field: "subject", pattern: "(\\d{4,})" } },
    actions: [webhook("finance")],
  },
  {
    id: "calendar",
    name: "Calendar invitations",
    when: { field: "attachment.contentType", op: "in", value: ["text/calendar", "application/ics"] },
    actions: [webhook("digest", { text: false })],
  },
  {
    id: "high-priority",
    name: "High priority",
    when: { field: "header:x-priority", op: "startsWith", value: "1" },
    actions: [webhook("alerts")],
  },
  {
    id: "legal",
    name: "Legal words",
    when: {
      field: "text",
      op: "matches",
      value: "\\b(lawsuit|subpoena|gdpr|copyright infringement)\\b",
      flags: "i",
    },
    actions: [webhook("alerts")],
  },
  {
    id: "huge-mail",
    name: "Huge messages",
    when: { field: "size", op: "gt", value: "5MB" },
    actions: [webhook("alerts", { text: false })],
  },
  {
    id: "images-only",
    name: "Image-only mail",
    when: {
      all: [
        { field: "attachment.contentType", op: "startsWith", value: "image/" },
        { not: { field: "text", op: "exists" } },
      ],
    },
    actions: [webhook("tickets", { text: false })],
  },
  {
    id: "cc-sales",
    name: "Sales in copy",
    when: { field: "cc.address", op: "startsWith", value: "sales@" },
    actions: [webhook("tickets")],
  },
];

function webhook(endpoint: (typeof BENCH_ENDPOINTS)[number], include: { text?: boolean } = {}) {
  return {
    type: "webhook" as const,
    endpoint,
    include: { text: include.text ?? true, attachments: "metadata" as const },
  };
}

/** The bench rules, validated (a typo here must stop the bench, not measure an empty rule set). */
export function benchRules(): Rule[] {
  const r = validateRules(BENCH_RULES);
  if (!r.ok) throw new Error(`bench rules invalid: ${JSON.stringify(r.problems)}`);
  return r.rules;
}
