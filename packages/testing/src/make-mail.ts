import MailComposer from "nodemailer/lib/mail-composer/index.js";

export interface MakeMailOptions {
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
  /** Extra header lines, e.g. `{ "X-Ticket": "42" }`. */
  headers?: Record<string, string>;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
  /** Message-ID, with or without angle brackets; a random one otherwise. */
  messageId?: string;
  /** The Date header; now otherwise. */
  date?: Date;
}

/**
 * Builds a valid RFC 5322 message with nodemailer's MailComposer, so tests and benchmarks get
 * real MIME (multipart/alternative, base64 attachments, encoded words) without fixture files.
 *
 * @example
 * const raw = await makeMail({ subject: "Invoice 42", attachments: [{ filename: "a.pdf", contentType: "application/pdf", content: pdf }] });
 * await dovecot.append(user, "INBOX", raw);
 */
export function makeMail(opts: MakeMailOptions = {}): Promise<Buffer> {
  const composer = new MailComposer({
    from: opts.from ?? "Sender <sender@example.test>",
    to: opts.to ?? "Recipient <rcpt@example.test>",
    subject: opts.subject ?? "test message",
    text: opts.text ?? (opts.html === undefined ? "hello" : undefined),
    html: opts.html,
    headers: opts.headers,
    attachments: opts.attachments,
    messageId: opts.messageId,
    date: opts.date,
  });
  return new Promise((resolve, reject) => {
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
