import { z } from "zod";
import { WebhookPayload } from "./payload.js";

/**
 * JSON Schema of the webhook body for receivers in other languages. Committed as
 * docs/payload.schema.json (regenerate with `pnpm --filter @mailhook/webhook schema`); a unit test
 * fails when the committed file and this drift apart.
 */
export function payloadJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(WebhookPayload, {
      target: "draft-2020-12",
      override: ({ jsonSchema }) => {
        // Receivers generating classes from the schema must not break when a later release adds an
        // optional field, so objects stay open (zod closes them by default).
        if (jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
        // zod's ISO regex duplicates "format": "date-time" in a form few validators need.
        if (jsonSchema.format === "date-time") delete jsonSchema.pattern;
      },
    }),
    title: "mailhook message.matched webhook payload",
  };
}
