/**
 * Tenant isolation under a hostile rule (issue 9): tenant B's rule evaluation latency (message handed
 * to the rule pool → matches back) with and without tenant A flooding the same pool with
 * `a.{100}a.{100}b$` over 256 KB texts, in the same run. Target: B's median within 2× of its
 * baseline. A's rule is never suspended here (the worker suspends it after RULES_BUDGET_STRIKES):
 * this is the worst case, every A message costing a full budget and a thread replacement.
 *
 * Run: npx tsx bench/hostile-tenant.ts [--messages 200] [--interval 20] [--budget 1000] [--threads 2]
 *      [--json bench/results/hostile.json]
 */
import { loadavg } from "node:os";
import type { MailMessage } from "@mailhook/model";
import { message } from "@mailhook/model/fixtures";
import { createRulePool } from "@mailhook/rule-pool";
import { compileRules, validateRules } from "@mailhook/rules";
import { numberOption, option } from "./support/args.js";
import { describeMachine, writeResult } from "./support/results.js";

const MESSAGES = numberOption("messages", 200);
const INTERVAL = numberOption("interval", 20);
const BUDGET = numberOption("budget", 1000);
const THREADS = numberOption("threads", 2);

function compiled(list: { id: string; when: unknown }[]) {
  const v = validateRules(
    list.map((r) => ({ ...r, name: r.id, actions: [{ type: "delete" }] })),
    { limits: { maxRepeat: 1000 } },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.problems));
  return compileRules(v.rules);
}

// B: an ordinary rule set with regexes (so it goes through the pool like A's).
const normal = compiled([
  { id: "invoice", when: { field: "subject", op: "matches", value: "invoice\\s*#?\\d+", flags: "i" } },
  { id: "vendor", when: { field: "from.address", op: "matches", value: "@vendor\\d*\\.com$" } },
  { id: "urgent", when: { field: "text", op: "matches", value: "urgent|asap" } },
]);
const hostile = compiled([
  { id: "hostile", when: { field: "text", op: "matches", value: "a.{100}a.{100}b$" } },
]);

let seed = 5;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const hostileText = `${Array.from({ length: 256 * 1024 - 1 }, () => (rnd() < 0.5 ? "a" : "b")).join("")}x`;

function mail(subject: string, text: string, from: string): MailMessage {
  return message({
    mailboxId: "mbx",
    uid: 1,
    messageId: "<m@x>",
    threadKey: "<m@x>",
    date: null,
    internalDate: new Date().toISOString(),
    subject,
    from: [{ name: "", address: from }],
    to: [],
    size: text.length,
    text,
  });
}
const bText = "Hello,\nplease find invoice 1234 attached. Regards\n".repeat(40);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

async function phase(pool: ReturnType<typeof createRulePool>, withHostile: boolean) {
  let flooding = withHostile;
  let hostileDone = 0;
  let overruns = 0;
  // A keeps two messages in flight all the time.
  const floods = withHostile
    ? [0, 1].map(async () => {
        while (flooding) {
          const r = await pool.evaluate("A", hostile, mail("hello", hostileText, "x@evil.example"));
          hostileDone++;
          overruns += r.exceeded.length;
        }
      })
    : [];
  const lat: number[] = [];
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const t0 = performance.now();
    inflight.push(
      pool.evaluate("B", normal, mail(`Invoice #${i}`, bText, `billing@vendor${i % 9}.com`)).then((r) => {
        if (r.value.length === 0) throw new Error("B's message did not match");
        lat.push(performance.now() - t0);
      }),
    );
    await sleep(INTERVAL);
  }
  await Promise.all(inflight);
  flooding = false;
  await Promise.all(floods);
  return { p50: pct(lat, 50), p95: pct(lat, 95), max: pct(lat, 100), hostileMessages: hostileDone, overruns };
}

export interface HostileResult {
  ratioP50: number;
}

// No inline allowance: B's small messages would otherwise skip the threads (RULES_INLINE_REGEX_STEPS)
// and this scenario measures how the threads are shared, which B's larger messages still rely on.
const pool = createRulePool({ threads: THREADS, budgetMs: BUDGET, inlineRegexSteps: 0 });
// Warm-up: threads started and B's rules compiled in them.
for (let i = 0; i < 20; i++) await pool.evaluate("B", normal, mail("Invoice #1", bText, "a@vendor.com"));
const load = loadavg()[0] ?? 0;
const baseline = await phase(pool, false);
const underAttack = await phase(pool, true);
const again = await phase(pool, false);
await pool.close();
const ratioP50 = underAttack.p50 / Math.max(baseline.p50, again.p50);
const result = {
  messages: MESSAGES,
  intervalMs: INTERVAL,
  budgetMs: BUDGET,
  threads: THREADS,
  loadAverageAtStart: load,
  loadAverageAtEnd: loadavg()[0] ?? 0,
  baseline,
  underAttack,
  baselineAfter: again,
  ratioP50,
};
const f = (n: number) => n.toFixed(2);
process.stdout.write(
  `tenant B rule latency (ms): baseline p50 ${f(baseline.p50)} p95 ${f(baseline.p95)} | with hostile A p50 ${f(underAttack.p50)} p95 ${f(underAttack.p95)} max ${f(underAttack.max)} (A: ${underAttack.hostileMessages} messages, ${underAttack.overruns} overruns) | after p50 ${f(again.p50)} | ratio p50 ${f(ratioP50)} (target ≤ 2) | load ${load.toFixed(1)}\n`,
);
const json = option("json");
if (json) writeResult(json, "hostile", describeMachine(), result);
