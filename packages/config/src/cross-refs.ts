import type { Issue } from "./problem.js";

/**
 * Checks that span several sections of the file: unique ids per kind, rule ids present, every
 * mailbox and endpoint a rule names declared in the same file, and a rule's folders watched by its
 * mailboxes. Works on the raw (interpolated) tree so
 * the paths point at what the user wrote, and skips entries whose shape the schema already rejected.
 */
export function crossReferenceIssues(root: unknown): Issue[] {
  if (!isRecord(root)) return [];
  const issues: Issue[] = [];
  const mailboxIds = uniqueIds(root.mailboxes, "mailboxes", "mailbox", issues);
  const watched = watchedFolders(root.mailboxes);
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
    if (Array.isArray(rule.mailboxes) && Array.isArray(rule.folders)) {
      const named = rule.mailboxes.filter((m): m is string => typeof m === "string" && watched.has(m));
      rule.folders.forEach((f, j) => {
        if (typeof f !== "string" || named.length === 0) return;
        // A folder no listed mailbox watches is a rule that can never fire ("Invoices" vs "INBOX/Invoices").
        if (!named.some((m) => watched.get(m)?.has(folderName(f))))
          issues.push({
            path: ["rules", i, "folders", j],
            reason: `folder "${f}" is not watched by ${named.length === 1 ? "mailbox" : "any of mailboxes"} ${named.map((m) => `"${m}"`).join(", ")}`,
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

/** Mailbox id → the folders it watches (INBOX when not given, as in the schema's default). */
function watchedFolders(list: unknown): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!Array.isArray(list)) return out;
  for (const m of list) {
    if (!isRecord(m) || typeof m.id !== "string" || out.has(m.id)) continue;
    const folders = Array.isArray(m.folders)
      ? m.folders.filter((f): f is string => typeof f === "string")
      : ["INBOX"];
    out.set(m.id, new Set(folders.map(folderName)));
  }
  return out;
}

/** IMAP treats INBOX case-insensitively (RFC 3501 5.1); every other name is compared as written. */
function folderName(f: string): string {
  return f.toUpperCase() === "INBOX" ? "INBOX" : f;
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
