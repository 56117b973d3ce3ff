import type { MailMessage } from "@mailhook/model";
import { describe, expect, it } from "vitest";
import { compileRules, evaluateRules, rulesFor } from "./compile.js";
import type { Condition } from "./condition.js";
import { attachment, message, rules, ruleWhen } from "./test-message.js";

const NOW = Date.parse("2024-05-08T12:00:00Z");

function holds(when: Condition, msg: MailMessage = message()): boolean {
  return evaluateRules(compileRules(rules(ruleWhen(when))), msg, { now: NOW }).length === 1;
}

describe("text ops", () => {
  it("equals compares the whole value", () => {
    expect(holds({ field: "subject", op: "equals", value: "Invoice #1234 for April" })).toBe(true);
    expect(holds({ field: "subject", op: "equals", value: "Invoice #1234" })).toBe(false);
  });
  it("contains, startsWith, endsWith", () => {
    expect(holds({ field: "subject", op: "contains", value: "#1234" })).toBe(true);
    expect(holds({ field: "subject", op: "contains", value: "#9999" })).toBe(false);
    expect(holds({ field: "subject", op: "startsWith", value: "invoice" })).toBe(true);
    expect(holds({ field: "subject", op: "startsWith", value: "April" })).toBe(false);
    expect(holds({ field: "subject", op: "endsWith", value: "april" })).toBe(true);
    expect(holds({ field: "subject", op: "endsWith", value: "invoice" })).toBe(false);
  });
  it("matches finds the pattern anywhere, with flags", () => {
    expect(holds({ field: "subject", op: "matches", value: "#\\d{4}\\b" })).toBe(true);
    expect(holds({ field: "subject", op: "matches", value: "^#\\d+" })).toBe(false);
    const text = "line one\nRef: 42\n";
    expect(holds({ field: "text", op: "matches", value: "^ref: \\d+$" }, message({ text }))).toBe(false);
    expect(holds({ field: "text", op: "matches", value: "^ref: \\d+$", flags: "m" }, message({ text }))).toBe(
      true,
    );
    expect(holds({ field: "text", op: "matches", value: "one.ref" }, message({ text }))).toBe(false);
    expect(holds({ field: "text", op: "matches", value: "one.ref", flags: "s" }, message({ text }))).toBe(
      true,
    );
  });
  it("in matches any listed value", () => {
    expect(holds({ field: "from.domain", op: "in", value: ["other.com", "VENDOR.COM"] })).toBe(true);
    expect(holds({ field: "from.domain", op: "in", value: ["other.com"] })).toBe(false);
  });
  it("exists, and exists false", () => {
    expect(holds({ field: "subject", op: "exists" })).toBe(true);
    expect(holds({ field: "subject", op: "exists" }, message({ subject: "" }))).toBe(false);
    expect(holds({ field: "header:list-id", op: "exists" })).toBe(false);
    expect(holds({ field: "header:list-id", op: "exists", value: false })).toBe(true);
    const headers = { "list-id": ["<news.example.org>"] };
    expect(holds({ field: "header:list-id", op: "exists" }, message({ headers }))).toBe(true);
    expect(holds({ field: "header:list-id", op: "exists", value: false }, message({ headers }))).toBe(false);
  });
});

describe("case folding, NFC and trimming", () => {
  it("folds case by default and not with caseSensitive", () => {
    expect(holds({ field: "subject", op: "contains", value: "INVOICE" })).toBe(true);
    expect(holds({ field: "subject", op: "contains", value: "INVOICE", caseSensitive: true })).toBe(false);
    expect(holds({ field: "subject", op: "contains", value: "Invoice", caseSensitive: true })).toBe(true);
    expect(holds({ field: "subject", op: "matches", value: "INVOICE" })).toBe(true);
    expect(holds({ field: "subject", op: "matches", value: "INVOICE", caseSensitive: true })).toBe(false);
    expect(
      holds({ field: "subject", op: "matches", value: "INVOICE", caseSensitive: true, flags: "i" }),
    ).toBe(true);
    expect(holds({ field: "subject", op: "in", value: ["INVOICE #1234 FOR APRIL"] })).toBe(true);
    expect(
      holds({ field: "subject", op: "in", value: ["INVOICE #1234 FOR APRIL"], caseSensitive: true }),
    ).toBe(false);
  });
  it("folds non-ASCII letters", () => {
    const msg = message({ subject: "ÜBERWEISUNG erhalten" });
    expect(holds({ field: "subject", op: "startsWith", value: "überweisung" }, msg)).toBe(true);
    expect(holds({ field: "subject", op: "matches", value: "^überweisung" }, msg)).toBe(true);
  });
  it("compares NFC forms: decomposed subject equals composed value and vice versa", () => {
    const decomposed = message({ subject: "Cafe\u0301 order" });
    expect(holds({ field: "subject", op: "equals", value: "Caf\u00e9 order" }, decomposed)).toBe(true);
    expect(holds({ field: "subject", op: "matches", value: "caf\u00e9" }, decomposed)).toBe(true);
    const composed = message({ subject: "Caf\u00e9 order" });
    expect(holds({ field: "subject", op: "contains", value: "cafe\u0301" }, composed)).toBe(true);
  });
  it("trims header values but not bodies", () => {
    const msg = message({ headers: { "x-priority": ["  1 (Highest)  "] }, text: "  padded" });
    expect(holds({ field: "header:x-priority", op: "equals", value: "1 (highest)" }, msg)).toBe(true);
    expect(holds({ field: "text", op: "startsWith", value: "  pad" }, msg)).toBe(true);
  });
});

describe("address fields", () => {
  const msg = message({
    from: [{ name: "  Billing Team ", address: "Billing@Vendor.COM" }],
    to: [
      { name: "Alice", address: "alice@example.org" },
      { name: "Bob", address: "bob@corp.example" },
    ],
    cc: [{ name: "Carol", address: "carol@example.net" }],
    bcc: [{ name: "", address: "audit@example.org" }],
    replyTo: [{ name: "Support", address: "help@vendor.com" }],
    sender: [{ name: "Mailer", address: "bounce@mailer.example" }],
  });
  it("reads address, name and domain; a bare list name means the address", () => {
    expect(holds({ field: "from", op: "equals", value: "billing@vendor.com" }, msg)).toBe(true);
    expect(holds({ field: "from.address", op: "equals", value: "billing@vendor.com" }, msg)).toBe(true);
    expect(holds({ field: "from.name", op: "equals", value: "billing team" }, msg)).toBe(true);
    expect(holds({ field: "from.domain", op: "equals", value: "vendor.com" }, msg)).toBe(true);
    expect(holds({ field: "cc.domain", op: "equals", value: "example.net" }, msg)).toBe(true);
    expect(holds({ field: "bcc", op: "equals", value: "audit@example.org" }, msg)).toBe(true);
    expect(holds({ field: "sender.domain", op: "equals", value: "mailer.example" }, msg)).toBe(true);
  });
  it("accepts reply-to and replyTo as the same field", () => {
    expect(holds({ field: "replyTo.address", op: "equals", value: "help@vendor.com" }, msg)).toBe(true);
    expect(holds({ field: "reply-to.address", op: "equals", value: "help@vendor.com" }, msg)).toBe(true);
    expect(holds({ field: "reply-to", op: "equals", value: "help@vendor.com" }, msg)).toBe(true);
    expect(holds({ field: "reply-to.name", op: "equals", value: "nobody" }, msg)).toBe(false);
  });
  it("matches a multi-valued field when any value matches", () => {
    expect(holds({ field: "to.domain", op: "equals", value: "corp.example" }, msg)).toBe(true);
    expect(holds({ field: "to.address", op: "startsWith", value: "alice@" }, msg)).toBe(true);
    expect(holds({ field: "to.address", op: "startsWith", value: "carol@" }, msg)).toBe(false);
    // not(any value matches) = no value matches
    expect(holds({ not: { field: "to.domain", op: "equals", value: "corp.example" } }, msg)).toBe(false);
  });
  it("an empty list matches nothing and does not exist", () => {
    expect(holds({ field: "cc", op: "contains", value: "" })).toBe(false);
    expect(holds({ field: "cc", op: "exists" })).toBe(false);
    expect(holds({ field: "cc", op: "exists", value: false })).toBe(true);
  });
});

describe("other text fields", () => {
  it("text and html; null (not fetched) matches nothing", () => {
    expect(holds({ field: "text", op: "contains", value: "invoice 1234" })).toBe(true);
    expect(holds({ field: "text", op: "contains", value: "" }, message({ text: null }))).toBe(false);
    const msg = message({ html: "<p>Pay <b>now</b></p>" });
    expect(holds({ field: "html", op: "contains", value: "<b>now</b>" }, msg)).toBe(true);
    expect(holds({ field: "html", op: "exists" })).toBe(false);
  });
  it("headers by name, any value of a repeated header", () => {
    const msg = message({ headers: { received: ["from a.example", "from b.example"], "x-foo": ["Bar"] } });
    expect(holds({ field: "header:X-Foo", op: "equals", value: "bar" }, msg)).toBe(true);
    expect(holds({ field: "header:received", op: "contains", value: "b.example" }, msg)).toBe(true);
    expect(holds({ field: "header:received", op: "contains", value: "c.example" }, msg)).toBe(false);
  });
  it("flags and keywords, any of them", () => {
    const msg = message({ flags: ["\\Seen", "$Processed"] });
    expect(holds({ field: "flags", op: "equals", value: "\\seen" }, msg)).toBe(true);
    expect(holds({ field: "flags", op: "in", value: ["$processed", "$junk"] }, msg)).toBe(true);
    expect(holds({ field: "flags", op: "equals", value: "\\Flagged" }, msg)).toBe(false);
  });
  it("folder, messageId, inReplyTo, references", () => {
    const msg = message({ folder: "Archive/2024", inReplyTo: "<p@x>", references: ["<r1@x>", "<p@x>"] });
    expect(holds({ field: "folder", op: "equals", value: "archive/2024" }, msg)).toBe(true);
    expect(holds({ field: "messageId", op: "endsWith", value: "@vendor.com>" }, msg)).toBe(true);
    expect(holds({ field: "inReplyTo", op: "equals", value: "<p@x>" }, msg)).toBe(true);
    expect(holds({ field: "references", op: "equals", value: "<r1@x>" }, msg)).toBe(true);
    expect(holds({ field: "messageId", op: "exists" }, message({ messageId: null }))).toBe(false);
  });
});

describe("numbers and dates", () => {
  it("size with gt/lt/gte/lte/equals/in and size units", () => {
    expect(holds({ field: "size", op: "gt", value: 19_999 })).toBe(true);
    expect(holds({ field: "size", op: "gt", value: 20_000 })).toBe(false);
    expect(holds({ field: "size", op: "gte", value: 20_000 })).toBe(true);
    expect(holds({ field: "size", op: "lt", value: 20_000 })).toBe(false);
    expect(holds({ field: "size", op: "lte", value: 20_000 })).toBe(true);
    expect(holds({ field: "size", op: "equals", value: 20_000 })).toBe(true);
    expect(holds({ field: "size", op: "in", value: [1, 20_000] })).toBe(true);
    expect(holds({ field: "size", op: "gt", value: "19KB" })).toBe(true); // 19,456
    expect(holds({ field: "size", op: "gt", value: "20KB" })).toBe(false); // 20,480
    expect(holds({ field: "size", op: "lt", value: "1MB" })).toBe(true);
  });
  it("date and internalDate against ISO dates", () => {
    expect(holds({ field: "date", op: "gt", value: "2024-04-30" })).toBe(true);
    expect(holds({ field: "date", op: "gt", value: "2024-05-01T10:00:00Z" })).toBe(false);
    expect(holds({ field: "date", op: "gte", value: "2024-05-01T10:00:00Z" })).toBe(true);
    expect(holds({ field: "internalDate", op: "gt", value: "2024-05-01T10:00:00Z" })).toBe(true);
    expect(holds({ field: "date", op: "lte", value: "2024-05-01T09:00:00+00:00" })).toBe(false);
  });
  it("dates relative to evaluation time", () => {
    // message dated 2024-05-01, now = 2024-05-08 12:00
    expect(holds({ field: "date", op: "gt", value: "-8d" })).toBe(true);
    expect(holds({ field: "date", op: "gt", value: "-7d" })).toBe(false);
    expect(holds({ field: "date", op: "lt", value: "-1w" })).toBe(true);
    expect(holds({ field: "internalDate", op: "gt", value: "-200h" })).toBe(true);
  });
  it("a missing or unparseable date matches no comparison", () => {
    expect(holds({ field: "date", op: "lt", value: "2999-01-01" }, message({ date: null }))).toBe(false);
    expect(holds({ field: "date", op: "exists" }, message({ date: "garbage" }))).toBe(false);
    expect(holds({ field: "date", op: "exists" })).toBe(true);
  });
});

describe("attachments", () => {
  const msg = message({
    attachments: [
      attachment({ filename: "Invoice-1234.PDF", contentType: "application/pdf", size: 80_000 }),
      attachment({
        partId: "3",
        filename: null,
        contentType: "image/png",
        size: 2_000,
        inline: true,
        contentId: "<logo>",
      }),
    ],
  });
  it("filename, contentType and size match when any attachment does", () => {
    expect(holds({ field: "attachment.filename", op: "endsWith", value: ".pdf" }, msg)).toBe(true);
    expect(holds({ field: "attachment.filename", op: "endsWith", value: ".docx" }, msg)).toBe(false);
    expect(holds({ field: "attachment.contentType", op: "equals", value: "image/png" }, msg)).toBe(true);
    expect(holds({ field: "attachment.size", op: "gt", value: "64KB" }, msg)).toBe(true);
    expect(holds({ field: "attachment.size", op: "gt", value: "100KB" }, msg)).toBe(false);
  });
  it("count and hasAttachments count every part in the list, inline ones included", () => {
    expect(holds({ field: "attachment.count", op: "equals", value: 2 }, msg)).toBe(true);
    expect(holds({ field: "attachment.count", op: "gte", value: 3 }, msg)).toBe(false);
    expect(holds({ field: "hasAttachments", op: "equals", value: true }, msg)).toBe(true);
    expect(holds({ field: "hasAttachments", op: "equals", value: false }, msg)).toBe(false);
    expect(holds({ field: "hasAttachments", op: "equals", value: false })).toBe(true);
    expect(holds({ field: "attachment.count", op: "equals", value: 0 })).toBe(true);
  });
  it("a nameless attachment has no filename value", () => {
    const nameless = message({ attachments: [attachment({ filename: null })] });
    expect(holds({ field: "attachment.filename", op: "exists" }, nameless)).toBe(false);
  });
});

describe("trees", () => {
  const yes = { field: "subject", op: "contains", value: "invoice" } as const;
  const no = { field: "subject", op: "contains", value: "newsletter" } as const;
  it("all, any, not", () => {
    expect(holds({ all: [yes, yes] })).toBe(true);
    expect(holds({ all: [yes, no] })).toBe(false);
    expect(holds({ any: [no, yes] })).toBe(true);
    expect(holds({ any: [no, no] })).toBe(false);
    expect(holds({ not: no })).toBe(true);
    expect(holds({ not: yes })).toBe(false);
    expect(holds({ all: [yes, { any: [no, { not: no }] }] })).toBe(true);
  });
  it("a rule without when matches everything", () => {
    expect(
      evaluateRules(compileRules(rules({ name: "all", actions: [{ type: "delete" }] })), message()),
    ).toHaveLength(1);
  });
});

describe("priority, stop and scope", () => {
  const any = { field: "subject", op: "exists" } as const;
  const set = rules(
    ruleWhen(any, { id: "b", priority: 50 }),
    ruleWhen(any, { id: "a", priority: 50 }),
    ruleWhen(any, { id: "first", priority: 1 }),
    ruleWhen(any, { id: "z-last" }),
  );
  const ids = (msg: MailMessage, rs = set) => evaluateRules(compileRules(rs), msg).map((m) => m.rule.id);

  it("orders by priority then id", () => {
    expect(ids(message())).toEqual(["first", "a", "b", "z-last"]);
  });
  it("a matching rule with stop hides later rules; a non-matching one does not", () => {
    const stopping = rules(
      ruleWhen(any, { id: "r1", priority: 1 }),
      ruleWhen({ field: "subject", op: "contains", value: "nomatch" }, { id: "r2", priority: 2, stop: true }),
      ruleWhen(any, { id: "r3", priority: 3, stop: true }),
      ruleWhen(any, { id: "r4", priority: 4 }),
    );
    expect(ids(message(), stopping)).toEqual(["r1", "r3"]);
  });
  it("disabled rules never match", () => {
    const rs = rules(ruleWhen(any, { id: "on" }), ruleWhen(any, { id: "off", enabled: false }));
    expect(ids(message(), rs)).toEqual(["on"]);
  });
  it("scopes to mailboxes and folders (INBOX case-insensitive), in rulesFor and in evaluateRules", () => {
    const rs = rules(
      ruleWhen(any, { id: "everywhere" }),
      ruleWhen(any, { id: "mbx2", mailboxes: ["mbx_2"] }),
      ruleWhen(any, { id: "inbox", folders: ["inbox"] }),
      ruleWhen(any, { id: "archive-mbx1", mailboxes: ["mbx_1"], folders: ["Archive"] }),
    );
    const compiled = compileRules(rs);
    const scoped = (mbx: string, folder: string) =>
      rulesFor(compiled, mbx, folder).rules.map((c) => c.rule.id);
    expect(scoped("mbx_1", "INBOX")).toEqual(["everywhere", "inbox"]);
    expect(scoped("mbx_2", "INBOX")).toEqual(["everywhere", "inbox", "mbx2"]);
    expect(scoped("mbx_1", "Archive")).toEqual(["archive-mbx1", "everywhere"]);
    expect(scoped("mbx_1", "archive")).toEqual(["everywhere"]);
    expect(ids(message({ mailboxId: "mbx_1", folder: "Archive" }), rs)).toEqual([
      "archive-mbx1",
      "everywhere",
    ]);
    expect(ids(message({ mailboxId: "mbx_2", folder: "Inbox" }), rs)).toEqual([
      "everywhere",
      "inbox",
      "mbx2",
    ]);
  });
  it("rulesFor leaves out disabled rules", () => {
    const compiled = compileRules(rules(ruleWhen(any, { id: "off", enabled: false })));
    expect(rulesFor(compiled, "mbx_1", "INBOX").rules).toEqual([]);
  });
});

describe("extract", () => {
  const extract = (x: Record<string, { field: string; pattern: string; flags?: string }>, msg = message()) =>
    evaluateRules(compileRules(rules({ name: "x", extract: x, actions: [{ type: "delete" }] })), msg)[0]
      ?.extracted;

  it("takes the first capture group of the first match", () => {
    expect(extract({ n: { field: "subject", pattern: "#(\\d+)" } })).toEqual({ n: "1234" });
  });
  it("prefers the group named value", () => {
    expect(extract({ n: { field: "subject", pattern: "(invoice) #(?P<value>\\d+)" } })).toEqual({
      n: "1234",
    });
    expect(extract({ n: { field: "subject", pattern: "(invoice) #(?<value>\\d+)" } })).toEqual({ n: "1234" });
  });
  it("keeps the original case while matching case-insensitively", () => {
    expect(extract({ w: { field: "subject", pattern: "(INVOICE)" } })).toEqual({ w: "Invoice" });
  });
  it("the whole match when the pattern has no group; null when nothing matches", () => {
    expect(
      extract({
        n: { field: "subject", pattern: "\\d+" },
        m: { field: "subject", pattern: "ticket-(\\d+)" },
      }),
    ).toEqual({
      n: "1234",
      m: null,
    });
  });
  it("reads the first value that matches in multi-valued fields, and null for absent fields", () => {
    const msg = message({
      to: [
        { name: "", address: "a@x.com" },
        { name: "", address: "ticket+77@help.example" },
      ],
    });
    expect(
      extract({ t: { field: "to", pattern: "ticket\\+(\\d+)@" }, h: { field: "html", pattern: "(.)" } }, msg),
    ).toEqual({
      t: "77",
      h: null,
    });
  });
});

describe("shared conditions", () => {
  it("identical leaves across rules (any field spelling) share one memo slot per message, not across messages", () => {
    const compiled = compileRules(
      rules(
        ruleWhen({ field: "from", op: "endsWith", value: "@vendor.com" }, { id: "a" }),
        ruleWhen({ not: { field: "from.address", op: "endsWith", value: "@vendor.com" } }, { id: "b" }),
        ruleWhen({ field: "reply-to", op: "exists" }, { id: "c" }),
        ruleWhen({ field: "replyTo.address", op: "exists" }, { id: "d" }),
      ),
    );
    expect(compiled.slots).toBe(2);
    const ids = (msg: MailMessage) => evaluateRules(compiled, msg).map((m) => m.rule.id);
    expect(ids(message())).toEqual(["a"]);
    expect(
      ids(
        message({
          from: [{ name: "", address: "x@other.com" }],
          replyTo: [{ name: "", address: "r@x.com" }],
        }),
      ),
    ).toEqual(["b", "c", "d"]);
  });
  it("case folding treats long s like s, as Unicode case folding does", () => {
    expect(holds({ field: "subject", op: "contains", value: "CLASS" }, message({ subject: "claſſ" }))).toBe(
      true,
    );
  });
});
