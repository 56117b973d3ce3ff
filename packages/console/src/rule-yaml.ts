import { parse, stringify } from "yaml";

/** The order mailhook.yaml examples use, so the YAML view reads like the file. */
const ORDER = [
  "id",
  "name",
  "enabled",
  "priority",
  "mailboxes",
  "folders",
  "stop",
  "when",
  "extract",
  "actions",
];

function ordered(rule: Record<string, unknown>): Record<string, unknown> {
  const keys = [...ORDER.filter((k) => k in rule), ...Object.keys(rule).filter((k) => !ORDER.includes(k))];
  return Object.fromEntries(keys.filter((k) => rule[k] !== undefined).map((k) => [k, rule[k]]));
}

/** One rule as an item of mailhook.yaml's `rules:` list (the API's own fields left out). */
export function ruleToYaml(rule: Record<string, unknown>): string {
  const { managed: _m, etag: _e, ...input } = rule;
  return stringify([ordered(input)], { lineWidth: 0 });
}

export type YamlParse = { ok: true; rule: Record<string, unknown> } | { ok: false; error: string };

/** Reads back what ruleToYaml wrote, or a rule written by hand as a list item or a mapping. */
export function ruleFromYaml(text: string): YamlParse {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return { ok: false, error: (err as Error).message.split("\n")[0] ?? "not YAML" };
  }
  const item = Array.isArray(doc) ? doc[0] : doc;
  if (Array.isArray(doc) && doc.length !== 1)
    return { ok: false, error: "the YAML view holds exactly one rule" };
  if (!item || typeof item !== "object" || Array.isArray(item))
    return { ok: false, error: "expected a rule (a mapping)" };
  return { ok: true, rule: item as Record<string, unknown> };
}
