// What the api needs from the IMAP and MIME stack (imapflow, mailparser, iconv-lite, the pipeline).
// It is a third of the api's code and only a few routes use it (mailbox checks, rule dry runs,
// backfill, replay), so it is never imported statically: `imapStack()` loads it on first use, and
// the api starts without loading, compiling or running it (docs/benchmarks.md, "Service start").
export { describeError, describeErrorForTenant } from "@mailhook/imap";
export { MimeLimitExceeded, parseFullMessage } from "@mailhook/mime";
export {
  backfillProgress,
  dryRunWebhooks,
  MAX_BACKFILL_MESSAGES,
  replayDeadDeliveries,
  replayDelivery,
  searchSince,
  startBackfill,
} from "@mailhook/pipeline";
export { recentMessages } from "./recent-messages.js";
export { createImapProbe, withSession } from "./verify-mailbox.js";
