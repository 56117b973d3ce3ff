import type { DryRunResult } from "@mailhook/client";
import type { ConditionExplanation } from "@mailhook/rules";

const mark = (ok: boolean) => (ok ? "✓" : "✗");

function leafText(e: Extract<ConditionExplanation, { kind: "leaf" }>): string {
  const value = e.value === undefined ? "" : ` ${JSON.stringify(e.value)}`;
  const shown = e.seen.map((s) => JSON.stringify(s)).join(", ");
  const more = e.seenCount > e.seen.length ? ` (+${e.seenCount - e.seen.length} more)` : "";
  const saw = e.seenCount === 0 ? "saw nothing" : `saw ${shown}${more}`;
  return `${mark(e.result)} ${e.field} ${e.op}${value}  — ${saw}`;
}

/** The condition tree as indented lines, each with ✓/✗ and, for leaves, the values it saw. */
export function conditionLines(e: ConditionExplanation, indent = ""): string[] {
  switch (e.kind) {
    case "leaf":
      return [`${indent}${leafText(e)}`];
    case "not":
      return [`${indent}${mark(e.result)} not`, ...conditionLines(e.child, `${indent}  `)];
    default:
      return [
        `${indent}${mark(e.result)} ${e.kind}`,
        ...e.children.flatMap((c) => conditionLines(c, `${indent}  `)),
      ];
  }
}

function skippedText(s: DryRunResult["messages"][number]["results"][number]["skipped"]): string {
  if (s === null) return "";
  if (typeof s === "string")
    return ` (conditions matched, but ${s === "disabled" ? "the rule is disabled" : `not in this ${s}`})`;
  return ` (conditions matched, but rule ${JSON.stringify(s.stoppedBy)} stopped the rules after it)`;
}

/** A dry run as a person reads it: per message, per rule, matched or not and why. */
export function renderDryRun(result: DryRunResult): string {
  const lines: string[] = [];
  for (const m of result.messages) {
    const from = m.message.from.map((a) => a.address).join(", ") || "(no sender)";
    const uid = m.message.uid === null ? "" : `UID ${m.message.uid}: `;
    lines.push(`${uid}${JSON.stringify(m.message.subject)} from ${from}`);
    if (m.results.length === 0) lines.push("  (no rules)");
    for (const r of m.results) {
      const verdict = r.matched ? "matched" : "did not match";
      lines.push(
        `  ${mark(r.matched)} rule ${r.rule.id} (${r.rule.name}) ${verdict}${skippedText(r.skipped)}`,
      );
      if (r.condition) lines.push(...conditionLines(r.condition, "      "));
      else lines.push("      (no conditions: matches every message)");
      for (const [name, value] of Object.entries(r.extracted))
        lines.push(`      extracted ${name} = ${value === null ? "(nothing)" : JSON.stringify(value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
