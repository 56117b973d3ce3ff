import type { AttachmentMeta, MailMessage } from "./message.js";

// Fixtures for tests and benchmarks (subpath @mailhook/model/fixtures; not part of the runtime surface).

/** A plain MailMessage for tests: a small invoice mail in INBOX; override what a test is about. */
export function message(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    mailboxId: "mbx_1",
    folder: "INBOX",
    uid: 7,
    uidValidity: 1,
    messageId: "<abc@vendor.com>",
    inReplyTo: null,
    references: [],
    threadKey: "<abc@vendor.com>",
    date: "2024-05-01T10:00:00.000Z",
    internalDate: "2024-05-01T10:00:05.000Z",
    subject: "Invoice #1234 for April",
    from: [{ name: "Billing Team", address: "billing@vendor.com" }],
    sender: [],
    to: [{ name: "Accounts", address: "accounts@example.org" }],
    cc: [],
    bcc: [],
    replyTo: [],
    flags: [],
    size: 20_000,
    headers: {},
    text: "Hello,\nplease find invoice 1234 attached.\n",
    textTruncated: false,
    html: null,
    htmlTruncated: false,
    attachments: [],
    ...overrides,
  };
}

export function attachment(overrides: Partial<AttachmentMeta> = {}): AttachmentMeta {
  return {
    partId: "2",
    filename: "invoice.pdf",
    contentType: "application/pdf",
    size: 50_000,
    contentId: null,
    inline: false,
    ...overrides,
  };
}
