import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { payloadJsonSchema } from "./payload-schema.js";

const committed = new URL("../../../docs/payload.schema.json", import.meta.url);

describe("docs/payload.schema.json", () => {
  it("equals the schema generated from WebhookPayload (regenerate: pnpm --filter @mailhook/webhook schema)", () => {
    expect(JSON.parse(readFileSync(committed, "utf8"))).toEqual(payloadJsonSchema());
  });

  it("describes the payload fields receivers rely on", () => {
    const schema = payloadJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(
      expect.arrayContaining([
        "type",
        "version",
        "id",
        "timestamp",
        "tenant",
        "mailbox",
        "message",
        "rule",
        "extracted",
      ]),
    );
    const message = schema.properties.message as { required: string[] };
    expect(message.required).toEqual(
      expect.arrayContaining(["uid", "uidValidity", "subject", "attachments"]),
    );
    expect(message.required).not.toContain("text");
  });
});
