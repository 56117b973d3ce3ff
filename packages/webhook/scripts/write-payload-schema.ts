// Regenerates docs/payload.schema.json from the zod schema; the payload-schema unit test keeps them equal.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { payloadJsonSchema } from "../src/payload-schema.js";

const target = fileURLToPath(new URL("../../../docs/payload.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(payloadJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
