import type { Rule } from "@mailhook/rules";
import { ConfigError } from "./config-error.js";
import { crossReferenceIssues } from "./cross-refs.js";
import { suggest } from "./did-you-mean.js";
import { type Env, interpolate } from "./interpolate.js";
import { issueText } from "./issue-text.js";
import { type ConfigProblem, formatPath, type Issue, type PathSegment } from "./problem.js";
import { checkRules } from "./rule-issues.js";
import { type EndpointConfig, type MailboxConfig, MailhookConfig } from "./schema.js";
import { readYaml } from "./yaml-source.js";

/** A validated config file, ready to seed the store. */
export interface LoadedConfig {
  tenant: string;
  mailboxes: MailboxConfig[];
  endpoints: EndpointConfig[];
  rules: Rule[];
}

/**
 * Parses and validates the text of a mailhook.yaml. Pure: the environment is passed in. Throws one
 * ConfigError listing every problem (syntax, unset variables, schema, rules, cross-references).
 *
 * @example
 * const config = parseConfig(text, "mailhook.yaml", process.env);
 */
export function parseConfig(text: string, file: string, env: Env): LoadedConfig {
  const source = readYaml(text);
  if (source.issues.length > 0) throw toError(file, source.issues, source.position);

  const { value, issues: envIssues } = interpolate(source.value, env);
  const parsed = MailhookConfig.safeParse(value, { error: issueText });
  const schemaIssues = parsed.success ? [] : parsed.error.issues.flatMap((i) => fromZod(i));

  const rawRules = isRecord(value) && Array.isArray(value.rules) ? value.rules : [];
  const { rules, issues: ruleIssues } = checkRules(rawRules);

  // @mailhook/rules also reports duplicate rule ids; keep its wording when both flag the same path.
  const refIssues = crossReferenceIssues(value).filter(
    (r) => !ruleIssues.some((q) => samePath(q.path, r.path)),
  );
  // An unset variable already explains why the value at its path is wrong; say it once.
  const explained = (issue: Issue) => envIssues.some((e) => isWithin(issue.path, e.path));
  const issues = [
    ...envIssues,
    ...[...schemaIssues, ...ruleIssues, ...refIssues].filter((i) => !explained(i)),
  ];
  if (issues.length > 0 || !parsed.success) throw toError(file, issues, source.position);

  return {
    tenant: parsed.data.tenant,
    mailboxes: parsed.data.mailboxes,
    endpoints: parsed.data.endpoints,
    rules,
  };
}

interface ZodIssueLike {
  code?: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  errors?: ZodIssueLike[][];
}

function fromZod(issue: ZodIssueLike, prefix: PathSegment[] = []): Issue[] {
  const path = [
    ...prefix,
    ...issue.path.filter((s): s is PathSegment => typeof s === "string" || typeof s === "number"),
  ];
  // One line per unknown key, pointing at the key itself (usually a typo: `pasword`, `folder`).
  if (issue.code === "unrecognized_keys" && issue.keys) {
    return issue.keys.map((key) => ({ path: [...path, key], reason: `unknown key${suggest(key)}` }));
  }
  // A union fails as a whole ("must be new, all or { since }"). When exactly one alternative got the
  // shape right and failed deeper (`start.since` is not a date), that alternative's reason is the useful one.
  if (issue.code === "invalid_union" && issue.errors) {
    const deeper = issue.errors.filter((opt) => opt.length > 0 && opt.every((i) => i.path.length > 0));
    if (deeper.length === 1 && deeper[0]) return deeper[0].flatMap((i) => fromZod(i, path));
  }
  return [{ path, reason: issue.message }];
}

function samePath(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return a.length === b.length && isWithin(a, b);
}

function isWithin(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

function toError(
  file: string,
  issues: readonly Issue[],
  position: (path: readonly PathSegment[]) => { line: number; column: number } | undefined,
): ConfigError {
  const problems: ConfigProblem[] = issues.map((issue) => {
    const pos = issue.line !== undefined ? { line: issue.line, column: issue.column } : position(issue.path);
    const problem: ConfigProblem = { file, path: formatPath(issue.path), reason: issue.reason };
    if (pos?.line !== undefined) problem.line = pos.line;
    if (pos?.column !== undefined) problem.column = pos.column;
    return problem;
  });
  // File order reads best; problems without a position keep their place at the end.
  problems.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  if (problems.length === 0) problems.push({ file, path: "(root)", reason: "invalid configuration" });
  return new ConfigError(problems);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
