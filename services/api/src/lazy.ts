import type { MailboxProbe } from "./verify-mailbox.js";

type ImapStack = typeof import("./imap-stack.js");
let stack: Promise<ImapStack> | undefined;

/** The IMAP and MIME stack (imap-stack.ts), loaded once, on first use. */
export function imapStack(): Promise<ImapStack> {
  stack ??= import("./imap-stack.js");
  return stack;
}

/** The real IMAP login check, loading the stack on its first call. */
export function lazyImapProbe(): MailboxProbe {
  let probe: MailboxProbe | undefined;
  return async (target) => {
    probe ??= (await imapStack()).createImapProbe();
    return probe(target);
  };
}
