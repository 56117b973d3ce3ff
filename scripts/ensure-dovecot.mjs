#!/usr/bin/env node
// Makes sure the binaries the integration tests start are present: dovecot + doveadm (Debian
// package dovecot-imapd pulls in dovecot-core) and openssl (test certificates). Plain Node, no
// dependencies, so it can run before `pnpm install` on a fresh machine.
//
//   node scripts/ensure-dovecot.mjs            # CLI: installs with apt-get when root, else exits 1
//   import { ensureDovecot } from "./ensure-dovecot.mjs"; await ensureDovecot();

import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";

const APT_PACKAGES = { dovecot: "dovecot-imapd", doveadm: "dovecot-imapd", openssl: "openssl" };
const INSTALL_HINT =
  "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd openssl";

/** Absolute path of an executable on PATH or in an sbin dir (often missing from a user's PATH). */
function findExecutable(name) {
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter).filter(Boolean),
    "/usr/sbin",
    "/usr/local/sbin",
    "/sbin",
  ];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // Not in this dir.
    }
  }
  return undefined;
}

function missingPackages() {
  const missing = Object.keys(APT_PACKAGES).filter((bin) => !findExecutable(bin));
  return [...new Set(missing.map((bin) => APT_PACKAGES[bin]))];
}

/**
 * Runs an install command quietly: its output (kept in memory) is shown, on stderr, only when it
 * fails. stdout stays free for callers that capture it (`.ci/run` reads the pnpm path from
 * setup.mjs's last stdout line).
 */
function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const output = [];
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    child.stdout.on("data", (d) => output.push(d));
    child.stderr.on("data", (d) => output.push(d));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) return resolve();
      process.stderr.write(`$ ${command} ${args.join(" ")}\n${Buffer.concat(output).toString()}`);
      reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/**
 * Installs Dovecot and openssl with apt-get when they are missing. Resolves when all binaries are
 * present; throws with the exact command to run when it cannot install them itself.
 */
export async function ensureDovecot() {
  const packages = missingPackages();
  if (packages.length === 0) return;
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    throw new Error(
      `The integration tests need Dovecot and openssl (missing Debian packages: ${packages.join(", ")}).\n` +
        `Install them as root:\n  ${INSTALL_HINT}\n(or run: sudo node scripts/ensure-dovecot.mjs)`,
    );
  }
  if (!findExecutable("apt-get")) {
    throw new Error(
      `Missing: ${packages.join(", ")}, and apt-get is not available. Install Dovecot 2.3 (imapd + doveadm) and openssl with your package manager.`,
    );
  }
  process.stderr.write(`[mailhook] installing ${packages.join(" ")} for the tests (apt-get)\n`);
  await run("apt-get", ["update"]);
  // Both, always: apt-get skips what is installed, and this is the command the docs give.
  await run("apt-get", ["install", "-y", "dovecot-imapd", "openssl"], { DEBIAN_FRONTEND: "noninteractive" });
  const still = missingPackages();
  if (still.length > 0) throw new Error(`apt-get finished but these are still missing: ${still.join(", ")}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureDovecot().then(
    () => {
      process.stderr.write(`dovecot ready: ${findExecutable("dovecot")}\n`);
    },
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
