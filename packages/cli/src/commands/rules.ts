import { readFile } from "node:fs/promises";
import type { RuleView } from "@mailhook/api-schema";
import { allPages, type MailhookClient } from "@mailhook/client";
import type { Command } from "commander";
import type { Ctx } from "../context.js";
import { renderDryRun } from "../explain-tree.js";
import { UsageError } from "../io.js";
import { parseRulesFile, planIsEmpty, planLines, planRules, type RulePlan } from "../rules-plan.js";

async function currentRules(mh: MailhookClient): Promise<RuleView[]> {
  const out: RuleView[] = [];
  for await (const r of allPages((p) => mh.rules.list(p))) out.push(r);
  return out;
}

async function applyPlan(mh: MailhookClient, plan: RulePlan): Promise<void> {
  for (const rule of plan.create) await mh.rules.create(rule);
  for (const u of plan.update) await mh.rules.replace(u.id, u.rule, u.etag);
  for (const r of plan.remove) await mh.rules.remove(r.id, r.etag);
}

export function registerRules(program: Command, ctx: () => Ctx): void {
  const rules = program.command("rules").description("rules: apply a file, dry-run a message");
  rules
    .command("apply")
    .description("show the difference between a rules file and the API, then apply it (idempotent)")
    .requiredOption("-f, --file <rules.yaml>", "a list of rules, or a mailhook.yaml with rules:")
    .option("--prune", "also delete API-managed rules the file does not list")
    .option("--dry-run", "show the difference only")
    .action(async (o: { file: string; prune?: boolean; dryRun?: boolean }) => {
      const c = ctx();
      const desired = parseRulesFile(await readFile(o.file, "utf8"), o.file);
      const mh = await c.client();
      const plan = planRules(desired, await currentRules(mh), o.prune === true);
      const lines = planLines(plan);
      if (plan.fileManaged.length > 0)
        throw new UsageError(
          `${lines.filter((l) => l.startsWith("!")).join("\n")}\nnothing applied: remove these from ${o.file}`,
        );
      const empty = planIsEmpty(plan);
      if (!empty && !o.dryRun) await applyPlan(mh, plan);
      const summary = empty
        ? `no changes: ${plan.unchanged.length} rule(s) already as in ${o.file}`
        : `${o.dryRun ? "would apply" : "applied"}: ${plan.create.length} created, ${plan.update.length} changed, ${plan.remove.length} deleted, ${plan.unchanged.length} unchanged`;
      c.emit(
        {
          applied: !empty && !o.dryRun,
          create: plan.create.map((r) => r.id),
          update: plan.update.map((u) => ({ id: u.id, keys: u.keys })),
          remove: plan.remove.map((r) => r.id),
          unchanged: plan.unchanged,
        },
        `${lines.join("\n")}\n${summary}`,
      );
    });
  rules
    .command("test [message.eml]")
    .description("dry-run the saved rules on a message file or a mailbox's latest messages, with the why")
    .option("--mailbox <id>", "use this mailbox's latest messages instead of a file")
    .option("--folder <name>", "the mailbox folder (default INBOX)")
    .option("--latest <n>", "how many of the latest messages (1-50, default 10)", (v) =>
      Number.parseInt(v, 10),
    )
    .option("--rules <rules.yaml>", "try these rules instead of the saved ones (nothing is saved)")
    .action(
      async (
        file: string | undefined,
        o: { mailbox?: string; folder?: string; latest?: number; rules?: string },
      ) => {
        const c = ctx();
        if (!file && !o.mailbox) throw new UsageError("give a message file, or --mailbox <id> [--latest n]");
        if (file && o.mailbox) throw new UsageError("give a message file or --mailbox, not both");
        const tryRules = o.rules ? parseRulesFile(await readFile(o.rules, "utf8"), o.rules) : undefined;
        const mh = await c.client();
        const result = await mh.rules.test({
          ...(file
            ? { emlBase64: (await readFile(file)).toString("base64") }
            : {
                mailbox: {
                  id: o.mailbox as string,
                  ...(o.folder ? { folder: o.folder } : {}),
                  ...(o.latest ? { last: o.latest } : {}),
                },
              }),
          ...(tryRules ? { rules: tryRules } : {}),
        });
        c.emit(result, renderDryRun(result));
      },
    );
}
