import type { BackfillView } from "@mailhook/api-schema";
import type { Command } from "commander";
import type { Ctx } from "../context.js";
import { progressLine } from "../progress.js";

export function registerBackfill(program: Command, ctx: () => Ctx): void {
  program
    .command("backfill <mailbox>")
    .description("run a folder's history since a day through the rules, exactly once, with progress")
    .requiredOption("--since <YYYY-MM-DD>", "messages that arrived on or after this day")
    .option("--folder <name>", "the folder (default INBOX)")
    .option("--no-wait", "start it and print its id without following the progress")
    .action(async (mailbox: string, o: { since: string; folder?: string; wait: boolean }) => {
      const c = ctx();
      const mh = await c.client();
      let bf: BackfillView = await mh.mailboxes.backfill(mailbox, {
        since: o.since,
        ...(o.folder ? { folder: o.folder } : {}),
      });
      const err = c.io.err;
      err(`backfill ${bf.id}: ${bf.total} message(s) in ${bf.folder} since ${bf.since}\n`);
      // The bar goes to stderr so --json output on stdout stays one document.
      let last = "";
      const draw = (b: BackfillView) => {
        const text = progressLine(b);
        if (text === last) return;
        last = text;
        err(c.io.isTTY ? `\r${text}` : `${text}\n`);
      };
      draw(bf);
      while (o.wait && !bf.done) {
        await c.io.sleep(c.pollMs);
        bf = await mh.backfills.get(bf.id);
        draw(bf);
      }
      if (c.io.isTTY) err("\n");
      c.emit(
        bf,
        bf.done
          ? `done: ${bf.processed} processed, ${bf.failed} failed (already delivered messages were not sent again)`
          : `started; follow it with GET /v1/backfills/${bf.id}`,
      );
      if (bf.failed > 0) c.exitCode = 1;
    });
}
