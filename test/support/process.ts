import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceEntry } from "../../scripts/build.mjs";

const root = join(import.meta.dirname, "..", "..");

export interface ServiceRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs a service the way `npm start` and the image do (`node services/<name>/dist/main.js`, the
 * bundle that test/global-setup.ts rebuilds when a source changed), with only PATH and `env` in its
 * environment, capturing its output.
 */
export function runService(name: "watcher" | "worker" | "api", env: Record<string, string>): ServiceRun {
  const child = spawn(process.execPath, [serviceEntry(name)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Writes a mailhook.yaml into a fresh temp dir and returns its path. */
export function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mailhook-cfg-"));
  const file = join(dir, "mailhook.yaml");
  writeFileSync(file, text);
  return file;
}

/**
 * Writes the usual one-mailbox config: `support` on the harness Dovecot (password from
 * ${TEST_IMAP_PASSWORD}), endpoint `tickets` at `url` (secret from ${TEST_WEBHOOK_SECRET} when
 * `withSecret`), rule `everything` sending every message there.
 */
export function writeMailboxConfig(opts: {
  imapPort: number;
  user: string;
  url: string;
  withSecret?: boolean;
  /** The rule matches by regex, so the worker evaluates it in a rule-pool thread. */
  regexRule?: boolean;
}): string {
  return writeConfig(`version: 1
mailboxes:
  - id: support
    host: 127.0.0.1
    port: ${opts.imapPort}
    tls: none
    user: ${opts.user}
    password: \${TEST_IMAP_PASSWORD}
endpoints:
  - id: tickets
    url: ${opts.url}
${opts.withSecret ? `    secret: \${TEST_WEBHOOK_SECRET}\n` : ""}rules:
  - id: everything
    name: Everything
${opts.regexRule ? "    when: { field: subject, op: matches, value: '.' }\n" : ""}    actions: [{ type: webhook, endpoint: tickets }]
`);
}
