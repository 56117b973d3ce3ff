#!/usr/bin/env node
// Installs everything the test suites need: pnpm, dependencies, Dovecot, openssl, redis-server,
// chromium (the console's browser tests) and, as root, Cyrus + Courier unpacked into
// /var/cache/mailhook-test.
// `npm test` runs this first; CI runs it before lint and type-check.
import { pathToFileURL } from "node:url";
import { ensureDovecot } from "./ensure-dovecot.mjs";
import { ensureImapServers } from "./ensure-imap-servers.mjs";
import { ensureDeps, ensurePnpm } from "./lib/bootstrap.mjs";
import { ensureChromium } from "./lib/chromium.mjs";
import { ensureRedisServer } from "./lib/local-redis.mjs";

/** Returns the pnpm command to use. */
export async function setup() {
  const pnpm = ensurePnpm();
  ensureDeps(pnpm);
  await ensureDovecot();
  ensureRedisServer();
  // Cyrus and Courier for the compatibility suites: unpacked into a cache, never installed.
  await ensureImapServers();
  // chromium for the console's browser tests (Debian package; as root only).
  ensureChromium();
  return pnpm;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const pnpm = await setup();
  process.stdout.write(`${pnpm}\n`);
}
