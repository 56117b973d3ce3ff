import type { z } from "@hono/zod-openapi";
import { type Rule, validateRules } from "@mailhook/rules";
import { listTenantMailboxes, type StoredRule } from "@mailhook/store";
import type { Context } from "hono";
import type { AppEnv } from "./context.js";
import { ApiError, type ErrorDetail, TARGET_NAMES, validationFailed, zodDetails } from "./errors.js";
import type { Services } from "./services.js";

/** `[0].when.any[1].op` → `body.when.any[1].op`: one rule per request, so the index is dropped. */
function bodyPath(path: string): string {
  const rest = path.replace(/^\[\d+\]/, "");
  return `body${rest}`;
}

/**
 * Validates one rule as users wrote it, with every problem and its path, then checks that the
 * endpoints and mailboxes it names are the tenant's own (another tenant's id reads as unknown).
 */
export async function validateRule(svc: Services, tenantId: string, raw: unknown, id: string): Promise<Rule> {
  const input = raw && typeof raw === "object" && !Array.isArray(raw) ? { ...raw, id } : raw;
  const r = validateRules([input], { limits: svc.deps.ruleLimits ?? {} });
  if (!r.ok) throw ruleProblems(r.problems.map((p) => ({ path: bodyPath(p.path), reason: p.reason })));
  const rule = r.rules[0] as Rule;
  const details: ErrorDetail[] = [];
  const endpoints = new Set((await svc.deps.store.listEndpoints(tenantId)).map((e) => e.id));
  rule.actions.forEach((a, i) => {
    if (a.type === "webhook" && !endpoints.has(a.endpoint))
      details.push({
        path: `body.actions[${i}].endpoint`,
        reason: `no endpoint ${JSON.stringify(a.endpoint)}`,
      });
  });
  if (rule.mailboxes) {
    const mailboxes = new Set((await listTenantMailboxes(svc.deps.store, tenantId)).map((m) => m.id));
    rule.mailboxes.forEach((m, i) => {
      if (!mailboxes.has(m))
        details.push({ path: `body.mailboxes[${i}]`, reason: `no mailbox ${JSON.stringify(m)}` });
    });
  }
  if (details.length) throw ruleProblems(details);
  return rule;
}

/** Every problem of a rule body, whether zod's schema or validateRules found it. */
export function ruleProblems(details: ErrorDetail[]): ApiError {
  return validationFailed(
    details,
    `the rule is not valid (${details.length} problem${details.length === 1 ? "" : "s"})`,
  );
}

/**
 * The route hook for rule bodies: a schema failure is re-checked by validateRules for full paths.
 * Synchronous on success (the hook type wants a response or nothing), a rejection on failure.
 */
export function ruleBodyHook(
  result: { success: true } | { success: false; target: string; error: z.ZodError },
  c: Context<AppEnv>,
): Promise<never> | undefined {
  if (result.success) return undefined;
  // A route's own hook replaces the app's default one: other targets need the same treatment.
  if (result.target !== "json")
    throw validationFailed(zodDetails(TARGET_NAMES[result.target] ?? result.target, result.error));
  return c.req.json().then(
    (raw: unknown) => {
      const r = validateRules([raw]);
      const details = r.ok ? [] : r.problems.map((p) => ({ path: bodyPath(p.path), reason: p.reason }));
      throw ruleProblems(details.length ? details : [{ path: "body", reason: "must be a rule object" }]);
    },
    () => {
      throw ruleProblems([{ path: "body", reason: "must be a rule object" }]);
    },
  );
}

/** `"abc"`, `W/"abc"` or `abc` → `abc`; `*` stays `*`. */
export function parseIfMatch(header: string | undefined): string | null {
  if (header === undefined) return null;
  const v = header.trim();
  if (v === "*") return "*";
  return v.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

export function checkIfMatch(header: string | undefined, etag: string, required: boolean): void {
  const want = parseIfMatch(header);
  if (want === null) {
    if (required)
      throw new ApiError(
        428,
        "PRECONDITION_REQUIRED",
        "send If-Match with the rule's ETag (from GET) to change it",
      );
    return;
  }
  if (want !== "*" && want !== etag)
    throw new ApiError(
      412,
      "PRECONDITION_FAILED",
      "the rule changed since you read it; GET it again and retry",
    );
}

export async function loadRule(
  svc: Services,
  tenantId: string,
  id: string,
): Promise<{ rule: StoredRule; etag: string }> {
  const r = await svc.rules.get(tenantId, id);
  if (!r) throw new ApiError(404, "NOT_FOUND", `rule ${JSON.stringify(id)} not found`);
  return r;
}

/** Maps a failed compare-and-set to the answer: someone else wrote in between. */
export function casFailed(reason: "not-found" | "precondition-failed" | "exists", id: string): ApiError {
  if (reason === "not-found") return new ApiError(404, "NOT_FOUND", `rule ${JSON.stringify(id)} not found`);
  if (reason === "exists") return new ApiError(409, "CONFLICT", `rule ${JSON.stringify(id)} exists`);
  return new ApiError(
    412,
    "PRECONDITION_FAILED",
    `rule ${JSON.stringify(id)} changed meanwhile; read it again and retry`,
  );
}
