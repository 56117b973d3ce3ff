#!/usr/bin/env node
// Fetches Cyrus IMAP 3.6 and Courier IMAP 5.0 for the compatibility suites (test/compat-*.test.ts)
// without installing them: Dovecot, Cyrus and Courier conflict as Debian packages (`Conflicts:
// imap-server`), so their .debs are fetched with `apt-get download` and unpacked with `dpkg -x` into
// a cache outside the clone (servers run as other users and must not need to enter a clone under a
// mode-700 home). The harness (packages/testing/src/debian-root.ts) overlays that tree on /usr and
// /etc inside a private mount namespace, so the daemons' compiled-in paths resolve.
//
//   node scripts/ensure-imap-servers.mjs       # as root: fills /var/cache/mailhook-test (once)
//   import { ensureImapServers } from "./ensure-imap-servers.mjs"; await ensureImapServers();
//
// Not root, or no apt-get / unshare: says so and returns; the Cyrus and Courier suites then skip
// with the same reason (Dovecot's suite still runs).

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const CACHE_DIR = "/var/cache/mailhook-test";
// The daemons, their helpers (saslpasswd2, gam_server for Courier's realtime IDLE) and the
// libraries Debian 12's base image lacks. Bump CACHE_VERSION when this list changes.
const PACKAGES = [
  "cyrus-imapd",
  "cyrus-common",
  "sasl2-bin",
  "libsasl2-modules-db",
  "courier-imap",
  "courier-base",
  "courier-authlib",
  "courier-authlib-userdb",
  "gamin",
  "libgamin0",
  "libxapian30",
  "libpcre3",
  "libical3",
  "libidn12",
  "libltdl7",
  "libcourier-unicode4",
];
const CACHE_VERSION = "1";
export const SERVERS_ROOT = join(CACHE_DIR, `debian-${CACHE_VERSION}`, "root");
const MARKER = join(CACHE_DIR, `debian-${CACHE_VERSION}`, "ready");

function say(msg) {
  process.stderr.write(`[mailhook] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  process.stderr.write(`$ ${cmd} ${args.join(" ")}\n`);
  const r = spawnSync(cmd, args, { stdio: ["ignore", 2, 2], ...opts });
  return r.status === 0;
}

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Why the Cyrus/Courier suites cannot run here, or null when they can. */
export function serversUnavailableReason() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0)
    return "the Cyrus and Courier suites need root (a private mount namespace with unshare -m)";
  if (!has("unshare")) return "unshare (util-linux) is missing";
  return null;
}

export async function ensureImapServers() {
  if (existsSync(MARKER)) return true;
  const why = serversUnavailableReason();
  if (why) {
    say(`skipping Cyrus/Courier download: ${why}`);
    return false;
  }
  if (!has("apt-get") || !has("dpkg")) {
    say("skipping Cyrus/Courier download: apt-get/dpkg missing (Debian/Ubuntu only)");
    return false;
  }
  const base = join(CACHE_DIR, `debian-${CACHE_VERSION}`);
  const debs = join(base, "debs");
  rmSync(base, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true, mode: 0o755 });
  say(`fetching Cyrus and Courier packages into ${base} (apt-get download, not installed)`);
  const download = () => run("apt-get", ["download", "-q", ...PACKAGES], { cwd: debs });
  if (!download()) {
    // A clean machine may not have package lists yet.
    if (!run("apt-get", ["update", "-qq"]) || !download()) {
      throw new Error(`apt-get download ${PACKAGES.join(" ")} failed`);
    }
  }
  const root = join(base, "root");
  mkdirSync(root, { recursive: true, mode: 0o755 });
  for (const f of readdirSync(debs).filter((n) => n.endsWith(".deb"))) {
    if (!run("dpkg", ["-x", join(debs, f), root])) throw new Error(`dpkg -x ${f} failed`);
  }
  // Debian 12 has a merged /usr: /lib is /usr/lib, and only /usr is overlaid by the harness.
  for (const top of ["lib", "lib64"]) {
    const from = join(root, top);
    if (existsSync(from)) {
      cpSync(from, join(root, "usr", top), { recursive: true, verbatimSymlinks: true });
      rmSync(from, { recursive: true, force: true });
    }
  }
  rmSync(debs, { recursive: true, force: true });
  writeFileSync(MARKER, `${PACKAGES.join("\n")}\n`);
  say(`Cyrus and Courier ready under ${root}`);
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureImapServers().then(
    (ok) => process.exit(ok ? 0 : 1),
    (err) => {
      say(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
