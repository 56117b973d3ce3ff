import { RuleInput } from "@mailhook/rules";
import { z } from "zod";
import { MailhookConfig } from "./schema.js";

// Any scalar may be written as `${VAR}`; for fields that are not strings the schema must allow that
// too, or editors would flag `port: ${IMAP_PORT}` that mailhook accepts.
const INTERPOLATED = { type: "string", pattern: "\\$\\{" } as const;
const NON_STRING_FIELDS = new Set(["port", "tlsVerify", "enabled"]);

/**
 * JSON Schema (draft 2020-12) of mailhook.yaml as users write it, rules included, for editors
 * (`# yaml-language-server: $schema=...`). Cross-references and `${VAR}` resolution are checked only
 * by parseConfig; the schema is an aid, not the validator.
 */
export function configJsonSchema(): Record<string, unknown> {
  const full = MailhookConfig.extend({
    rules: z
      .array(RuleInput)
      .default([])
      .describe("What to do with new mail. Each rule needs an id in the file."),
  });
  const schema = z.toJSONSchema(full, { io: "input", unrepresentable: "any" }) as JsonObject;
  const props = schema.properties as Record<string, { items: JsonObject }>;
  // Only mailbox and endpoint fields coerce interpolated strings; rule fields are typed strictly.
  for (const section of ["mailboxes", "endpoints"]) allowInterpolation(props[section]?.items);
  const rule = props.rules?.items;
  if (rule) rule.required = [...new Set(["id", ...((rule.required as string[] | undefined) ?? [])])];
  return { title: "mailhook.yaml", ...schema };
}

type JsonObject = Record<string, unknown>;

function allowInterpolation(item: JsonObject | undefined): void {
  const props = item?.properties as Record<string, JsonObject> | undefined;
  if (!props) return;
  for (const [key, prop] of Object.entries(props)) {
    if (!NON_STRING_FIELDS.has(key) || (prop.type !== "integer" && prop.type !== "boolean")) continue;
    const { description, default: dflt, ...rest } = prop;
    props[key] = {
      ...(description === undefined ? {} : { description }),
      ...(dflt === undefined ? {} : { default: dflt }),
      anyOf: [rest, INTERPOLATED],
    };
  }
}
