import type { Issue } from "./problem.js";

/**
 * Checks that span several sections of the file: unique ids per kind, rule ids present, and every
 * mailbox and endpoint a rule names declared in the same file. Works on the raw (interpolated) tree so
 * the paths point at what the user wrote, and skips entries whose shape the schema already rejected.
 */
export function crossReferenceIssues(root: unknown): Issue[] {
  if (!isRecord(root)) return [];
  const issues: Issue[] = [];
  const mailboxIds = uniqueIds(root.mailboxes, "mailboxes", "mailbox", issues);
  const endpointIds = uniqueIds(root.endpoints, "endpoints", "endpoint", issues);
  if (!Array.isArray(root.rules)) return issues;

  const ruleIds = new Map<string, number>();
  root.rules.forEach((rule, i) => {
    if (!isRecord(rule)) return;
    if (rule.id === undefined) {
      // The API can mint ids; a file cannot, because a new id on every restart would re-deliver mail.
      issues.push({
        path: ["rules", i, "id"],
        reason: "required in the config file: a stable id keeps deliveries idempotent across restarts",
      });
    } else if (typeof rule.id === "string") {
      const first = ruleIds.get(rule.id);
      if (first !== undefined)
        issues.push({
          path: ["rules", i, "id"],
          reason: `duplicate rule id "${rule.id}" (first used at rules[${first}])`,
        });
      else ruleIds.set(rule.id, i);
    }
    if (Array.isArray(rule.mailboxes)) {
      rule.mailboxes.forEach((m, j) => {
        if (typeof m === "string" && !mailboxIds.has(m))
          issues.push({
            path: ["rules", i, "mailboxes", j],
            reason: `unknown mailbox "${m}"${declared(mailboxIds)}`,
          });
      });
    }
    if (Array.isArray(rule.actions)) {
      rule.actions.forEach((a, j) => {
        if (
          isRecord(a) &&
          a.type === "webhook" &&
          typeof a.endpoint === "string" &&
          !endpointIds.has(a.endpoint)
        )
          issues.push({
            path: ["rules", i, "actions", j, "endpoint"],
            reason: `unknown endpoint "${a.endpoint}"${declared(endpointIds)}`,
          });
      });
    }
  });
  return issues;
}

function uniqueIds(list: unknown, section: string, kind: string, issues: Issue[]): Map<string, number> {
  const ids = new Map<string, number>();
  if (!Array.isArray(list)) return ids;
  list.forEach((item, i) => {
    if (!isRecord(item) || typeof item.id !== "string") return;
    const first = ids.get(item.id);
    if (first !== undefined)
      issues.push({
        path: [section, i, "id"],
        reason: `duplicate ${kind} id "${item.id}" (first used at ${section}[${first}])`,
      });
    else ids.set(item.id, i);
  });
  return ids;
}

function declared(ids: Map<string, number>): string {
  if (ids.size === 0) return " (none declared)";
  const names = [...ids.keys()];
  const shown = names
    .slice(0, 10)
    .map((n) => `"${n}"`)
    .join(", ");
  return ` (declared: ${shown}${names.length > 10 ? ", ..." : ""})`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
