import { MailhookError } from "@mailhook/client";
import { Command, CommanderError } from "commander";
import { registerBackfill } from "./commands/backfill.js";
import { registerDeliveries } from "./commands/deliveries.js";
import { registerRules } from "./commands/rules.js";
import { registerSetup } from "./commands/setup.js";
import { type Ctx, type GlobalOptions, makeCtx } from "./context.js";
import { type CliIo, UsageError } from "./io.js";

export interface RunOptions {
  /** Wait between polls of tail --follow and backfill progress (default 1 s). */
  pollMs?: number;
}

function program(io: CliIo, getCtx: () => Ctx): Command {
  const p = new Command("mailhook")
    .description("mailhook from the command line: mailboxes, rules, deliveries, backfill")
    .option("--config <path>", "the CLI config file (default ~/.config/mailhook/cli.json)")
    .option("--url <url>", "the API (default: the one saved by login)")
    .option("--token <token>", "a token (default: the one saved by login)")
    .option("--json", "print JSON for scripts instead of text")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerSetup(p, getCtx);
  registerRules(p, getCtx);
  registerDeliveries(p, getCtx);
  registerBackfill(p, getCtx);
  for (const sub of p.commands) {
    sub.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
    for (const leaf of sub.commands)
      leaf.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  }
  return p;
}

function describe(err: MailhookError): string {
  const where = [
    err.code,
    err.status ? `HTTP ${err.status}` : null,
    err.requestId ? `request ${err.requestId}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  return `error: ${err.describe()}\n(${where})\n`;
}

/**
 * Runs one command line (without `node` and the script name) and returns the exit code: 0 done,
 * 1 refused or failed (the API's reason printed), 2 a usage mistake.
 *
 * @example
 * process.exitCode = await run(process.argv.slice(2), processIo());
 */
export async function run(argv: string[], io: CliIo, opts: RunOptions = {}): Promise<number> {
  let ctx: Ctx | null = null;
  const p = program(io, () => {
    ctx ??= makeCtx(io, p.opts<GlobalOptions>(), opts.pollMs ?? 1000);
    return ctx;
  });
  try {
    await p.parseAsync(argv, { from: "user" });
    return ctx === null ? 0 : (ctx as Ctx).exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const json = p.opts<GlobalOptions>().json === true;
    if (err instanceof MailhookError) {
      if (json)
        io.out(
          `${JSON.stringify({ error: { code: err.code, status: err.status, message: err.message, details: err.details, requestId: err.requestId } }, null, 2)}\n`,
        );
      io.err(describe(err));
      return 1;
    }
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\n`);
      return 2;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
