// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are mailhook.yaml `${VAR}` syntax, not templates
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { loadConfigFile } from "./load.js";
import { SECRET } from "./test-helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailhook-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadConfigFile", () => {
  it("reads, interpolates and validates a file", async () => {
    const path = join(dir, "ok.yaml");
    await writeFile(path, "version: 1\nmailboxes:\n  - { id: a, host: h, user: u, password: '${PW}' }\n");
    const config = await loadConfigFile(path, { PW: "pw" });
    expect(config.mailboxes[0]?.password).toBe("pw");
  });

  it("names the file in every problem", async () => {
    const path = join(dir, "bad.yaml");
    await writeFile(path, "version: 1\nmailboxes:\n  - { id: a, host: h, user: u, password: p, port: x }\n");
    await expect(loadConfigFile(path, {})).rejects.toThrow(
      `${path}: mailboxes[0].port: expected a number, got a string (line 3, column 45)`,
    );
  });

  it("reports a missing file as a ConfigError", async () => {
    const path = join(dir, "nope.yaml");
    const err = await loadConfigFile(path, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`${path}: (file): file not found`);
  });

  it("reports a directory as a ConfigError", async () => {
    await expect(loadConfigFile(dir, {})).rejects.toThrow(
      `${dir}: (file): is a directory, expected a YAML file`,
    );
  });

  it("accepts mailhook.example.yaml from the repository root", async () => {
    const example = fileURLToPath(new URL("../../../mailhook.example.yaml", import.meta.url));
    const config = await loadConfigFile(example, {
      SUPPORT_IMAP_PASSWORD: "a",
      INVOICES_IMAP_PASSWORD: "b",
      TICKETS_WEBHOOK_SECRET: SECRET,
    });
    expect(config.mailboxes.map((m) => [m.id, m.folders])).toEqual([
      ["support", ["INBOX"]],
      ["invoices", ["INBOX", "Invoices"]],
    ]);
    expect(config.endpoints.map((e) => e.id)).toEqual(["tickets"]);
    expect(config.rules.map((r) => r.id)).toEqual(["support-to-tickets", "vendor-invoices"]);
  });
});
