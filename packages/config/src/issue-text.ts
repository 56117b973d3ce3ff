import type { z } from "zod";

/**
 * Reasons for zod's built-in checks, written for someone editing YAML. Schema-level messages in
 * schema.ts take precedence over this map. No reason ever includes the offending value: it may be a
 * password, a token or a webhook secret.
 */
export const issueText: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "required";
      // `password: 0123` arrives as the number 123: say how to keep it a string rather than coerce it.
      if (issue.expected === "string" && ["number", "boolean"].includes(typeof issue.input))
        return `expected a string, got ${article(kindOf(issue.input))} (put the value in quotes)`;
      return `expected ${article(issue.expected)}, got ${article(kindOf(issue.input))}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      if (issue.origin === "string")
        return issue.minimum === 1 ? "must not be empty" : `must be at least ${issue.minimum} characters`;
      if (issue.origin === "array")
        return `must have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
      return `must be at least ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      if (issue.origin === "array") return `must have at most ${issue.maximum} items`;
      return `must be at most ${issue.maximum}`;
    case "invalid_format":
      return `must be a valid ${issue.format}`;
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
    default:
      return undefined;
  }
};

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "mapping";
  return typeof v;
}

function article(kind: string): string {
  const name = kind === "object" || kind === "record" ? "mapping" : kind === "array" ? "list" : kind;
  if (name === "null" || name === "undefined") return name;
  if (name === "int") return "an integer";
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}
