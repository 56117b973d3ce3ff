import type { DeliverySummary, DeliveryView } from "@mailhook/api-schema";
import type { DeliveryFilter } from "@mailhook/client";
import type { Command } from "commander";
import type { Ctx } from "../context.js";
import { UsageError } from "../io.js";

const line = (d: DeliverySummary) =>
  `${d.createdAt}  ${d.status.padEnd(9)} ${d.id}  rule ${d.ruleId} → ${d.endpointId}  ${d.mailboxId}/${d.folder} UID ${d.uid}${d.lastError ? `  (${d.lastError})` : ""}`;

function showText(d: DeliveryView): string {
  let body: string = d.body;
  try {
    body = JSON.stringify(JSON.parse(d.body), null, 2);
  } catch {
    // shown as sent
  }
  const attempts = d.attempts.map(
    (a, i) =>
      `  ${i + 1}. ${a.at}  ${a.status ?? "no answer"}  ${Math.round(a.latencyMs)} ms${a.error ? `  ${a.error}` : ""}${a.responsePreview ? `  ${JSON.stringify(a.responsePreview)}` : ""}`,
  );
  return [
    `delivery ${d.id}: ${d.status}`,
    `  rule ${d.ruleId} → endpoint ${d.endpointId}; ${d.mailboxId}/${d.folder} UID ${d.uid} (UIDVALIDITY ${d.uidValidity})`,
    `  created ${d.createdAt}, updated ${d.updatedAt}`,
    `attempts (${d.attempts.length}):`,
    ...(attempts.length ? attempts : ["  none yet"]),
    "payload:",
    body,
  ].join("\n");
}

interface TailOptions {
  status?: DeliveryFilter["status"];
  endpoint?: string;
  rule?: string;
  mailbox?: string;
  lines: number;
  follow?: boolean;
  /** For scripts and tests: stop following after this many new deliveries. */
  max?: number;
}

export function registerDeliveries(program: Command, ctx: () => Ctx): void {
  const deliveries = program.command("deliveries").description("the delivery log: follow, inspect, replay");
  deliveries
    .command("tail")
    .description("the latest deliveries, oldest first; --follow keeps printing new ones")
    .option("-n, --lines <n>", "how many to show first (default 20)", (v) => Number.parseInt(v, 10), 20)
    .option("-f, --follow", "keep polling for new deliveries")
    .option("--status <status>", "pending, delivered, failed or dead")
    .option("--endpoint <id>")
    .option("--rule <id>")
    .option("--mailbox <id>")
    .option("--max <n>", "with --follow: exit after this many new deliveries", (v) => Number.parseInt(v, 10))
    .action(async (o: TailOptions) => {
      const c = ctx();
      const mh = await c.client();
      const filter: DeliveryFilter = {
        ...(o.status ? { status: o.status } : {}),
        ...(o.endpoint ? { endpointId: o.endpoint } : {}),
        ...(o.rule ? { ruleId: o.rule } : {}),
        ...(o.mailbox ? { mailboxId: o.mailbox } : {}),
      };
      const print = (d: DeliverySummary) => c.io.out(c.json ? `${JSON.stringify(d)}\n` : `${line(d)}\n`);
      const seen = new Set<string>();
      const first = await mh.deliveries.list({ ...filter, limit: Math.min(200, Math.max(1, o.lines)) });
      for (const d of first.data.reverse()) {
        seen.add(d.id);
        print(d);
      }
      let fresh = 0;
      while (o.follow && (o.max === undefined || fresh < o.max)) {
        await c.io.sleep(c.pollMs);
        const page = await mh.deliveries.list({ ...filter, limit: 50 });
        for (const d of page.data.reverse()) {
          if (seen.has(d.id)) continue;
          seen.add(d.id);
          print(d);
          fresh++;
        }
      }
    });
  deliveries
    .command("show <id>")
    .description("one delivery: every attempt and the exact payload")
    .action(async (id: string) => {
      const c = ctx();
      const d = await (await c.client()).deliveries.get(id);
      c.emit(d, showText(d));
    });
  deliveries
    .command("replay [id]")
    .description("send a failed or dead delivery again (same body and webhook-id), or --dead --endpoint <id>")
    .option("--dead", "every dead delivery of --endpoint")
    .option("--endpoint <id>")
    .action(async (id: string | undefined, o: { dead?: boolean; endpoint?: string }) => {
      const c = ctx();
      const mh = await c.client();
      if (o.dead) {
        if (!o.endpoint || id) throw new UsageError("use --dead with --endpoint <id> (and no delivery id)");
        const r = await mh.endpoints.replayDead(o.endpoint);
        const skipped = r.skipped.map((s) => `\n  skipped ${s.id}: ${s.reason}`).join("");
        c.emit(r, `replaying ${r.replayed.length} dead delivery(ies) of ${r.endpointId}${skipped}`);
        return;
      }
      if (!id) throw new UsageError("give a delivery id, or --dead --endpoint <id>");
      const d = await mh.deliveries.replay(id);
      c.emit(d, `replay of ${d.id} queued (status now ${d.status})`);
    });
}
