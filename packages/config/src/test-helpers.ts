import { ConfigError } from "./config-error.js";
import type { Env } from "./interpolate.js";
import { parseConfig } from "./parse.js";
import type { ConfigProblem } from "./problem.js";

/** The ConfigError thrown for `text`; fails the test when the text is accepted. */
export function configError(text: string, env: Env = {}): ConfigError {
  try {
    parseConfig(text, "mailhook.yaml", env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError, but the config was accepted");
}

/** `path: reason` of every problem, in file order. */
export function problemsOf(text: string, env: Env = {}): string[] {
  return configError(text, env).problems.map((p: ConfigProblem) => `${p.path}: ${p.reason}`);
}

/** A minimal valid mailbox block for tests that care about something else. */
export const MAILBOX = `
  - id: support
    host: imap.example.com
    user: support@example.com
    password: pw`;

export const SECRET = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
