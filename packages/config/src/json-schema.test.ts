import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "./json-schema.js";

const committed = fileURLToPath(new URL("../mailhook.schema.json", import.meta.url));

describe("configJsonSchema", () => {
  // The rules part follows @mailhook/rules, which changes on its own schedule; comparing it here would
  // fail that package's commits. The config-owned part must match exactly.
  it("matches the committed packages/config/mailhook.schema.json outside rules (UPDATE_JSON_SCHEMA=1 rewrites it)", () => {
    const generated = configJsonSchema();
    if (process.env.UPDATE_JSON_SCHEMA === "1")
      writeFileSync(committed, `${JSON.stringify(generated, null, 2)}\n`);
    const onDisk = JSON.parse(readFileSync(committed, "utf8")) as Record<string, unknown>;
    expect(withoutRules(onDisk)).toEqual(withoutRules(generated));
  });

  it("describes the keys users write, with interpolation allowed for non-string scalars", () => {
    const schema = configJsonSchema() as {
      required: string[];
      properties: {
        mailboxes: { items: { required: string[]; properties: Record<string, { anyOf?: unknown[] }> } };
        rules: { items: { properties: Record<string, unknown> } };
      };
    };
    expect(schema.required).toEqual(["version"]);
    const mailbox = schema.properties.mailboxes.items;
    expect(mailbox.required).toEqual(["id", "host", "user", "password"]);
    expect(mailbox.properties.port?.anyOf).toContainEqual({ type: "string", pattern: "\\$\\{" });
    expect(Object.keys(schema.properties.rules.items.properties)).toEqual(
      expect.arrayContaining(["id", "name", "when", "actions"]),
    );
  });
});

function withoutRules(schema: Record<string, unknown>): Record<string, unknown> {
  const { rules: _rules, ...properties } = schema.properties as Record<string, unknown>;
  const { $defs: _defs, ...rest } = schema;
  return { ...rest, properties };
}
