import type { Issue, PathSegment } from "./problem.js";

export type Env = Record<string, string | undefined>;

// `$${` is an escaped literal `${`; `${NAME}` and `${NAME:-default}` are substitutions.
const TOKEN = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${VAR}` / `${VAR:-default}` in every string scalar of an already-parsed YAML tree. Running
 * after parsing means a variable's value is always one string: it can never inject YAML structure.
 * Keys are not interpolated. Problems carry the path of the scalar; they never echo variable values.
 */
export function interpolate(value: unknown, env: Env): { value: unknown; issues: Issue[] } {
  const issues: Issue[] = [];
  const out = walk(value, [], env, issues);
  return { value: out, issues };
}

function walk(value: unknown, path: PathSegment[], env: Env, issues: Issue[]): unknown {
  if (typeof value === "string") return substitute(value, path, env, issues);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i], env, issues));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k], env, issues);
    return out;
  }
  return value;
}

export function substitute(s: string, path: PathSegment[], env: Env, issues: Issue[]): string {
  if (!s.includes("$")) return s;
  return s.replace(TOKEN, (match: string, body: string | undefined) => {
    if (match === "$${") return "${";
    if (!match.endsWith("}")) {
      issues.push({ path, reason: "unterminated ${ (write $${ for a literal ${)" });
      return "";
    }
    const expr = body ?? "";
    const sep = expr.indexOf(":-");
    const name = sep === -1 ? expr : expr.slice(0, sep);
    if (!NAME.test(name)) {
      // The text is not echoed: a literal password containing "${" would otherwise leak into logs.
      issues.push({
        path,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: mailhook.yaml syntax, shown to the user
        reason: "invalid variable reference (use ${NAME} or ${NAME:-default}; $${ for a literal ${)",
      });
      return "";
    }
    const set = env[name];
    // Like the shell and docker compose: the default also applies when the variable is set but empty.
    if (sep !== -1) return set === undefined || set === "" ? expr.slice(sep + 2) : set;
    if (set === undefined) {
      issues.push({ path, reason: `environment variable ${name} is not set` });
      return "";
    }
    return set;
  });
}
