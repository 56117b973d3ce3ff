import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { findExecutable } from "./binaries.js";
import { type SpawnedServer, spawnServer } from "./spawn-server.js";

/**
 * Cyrus and Courier, unpacked from their Debian packages by scripts/ensure-imap-servers.mjs (they
 * conflict with Dovecot as packages). Their binaries have compiled-in paths (/usr/lib/courier-authlib,
 * /etc/imapd.conf, /run/courier/…), so they run in a private mount and pid namespace where this tree
 * is overlaid on /usr and /etc and the test's own config files are bound over the fixed paths.
 * Nothing outside the namespace changes, and killing the namespace's first process ends them all.
 */
export const DEBIAN_CACHE = "/var/cache/mailhook-test/debian-1";
export const DEBIAN_ROOT = join(DEBIAN_CACHE, "root");

/** Why Cyrus/Courier cannot run here (the suites skip with it), or null. */
export function debianServersUnavailable(): string | null {
  if (process.getuid?.() !== 0)
    return "needs root: the servers run in a private mount namespace (unshare -m)";
  if (!findExecutable("unshare")) return "unshare (util-linux) is missing";
  if (!existsSync(join(DEBIAN_CACHE, "ready")))
    return `Cyrus/Courier are not unpacked: run \`node scripts/ensure-imap-servers.mjs\` as root (fills ${DEBIAN_CACHE})`;
  return null;
}

/** Quotes for sh (paths may contain spaces). */
export function sh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface NamespaceMounts {
  /** [file or dir on the host, fixed path inside] bound after the /usr and /etc overlays. */
  binds: [string, string][];
}

/** The mount commands every namespace starts with. */
export function mountPrelude(m: NamespaceMounts): string {
  const lines = [
    "set -e",
    "mount --make-rprivate /",
    `mount -t overlay overlay -o lowerdir=${sh(`${DEBIAN_ROOT}/usr`)}:/usr /usr`,
    `mount -t overlay overlay -o lowerdir=${sh(`${DEBIAN_ROOT}/etc`)}:/etc /etc`,
    "mount -t tmpfs tmpfs /run",
    ...m.binds.map(([from, to]) => `mount --bind ${sh(from)} ${sh(to)}`),
  ];
  return `${lines.join("\n")}\n`;
}

const UNSHARE = ["-m", "-p", "-f", "--kill-child"];

/** Starts `script` as the first process of a new mount + pid namespace, detached (own group). */
export function spawnInNamespace(script: string, cwd: string): SpawnedServer {
  return spawnServer(findExecutable("unshare") ?? "unshare", [...UNSHARE, "sh", "-c", script], cwd);
}

/** Runs a short script in a throw-away namespace (e.g. saslpasswd2 with its compiled-in plugin path). */
export function runInNamespace(script: string, input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      findExecutable("unshare") ?? "unshare",
      [...UNSHARE, "sh", "-c", script],
      { timeout: 30_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`namespace command failed: ${stderr || err.message}`)) : resolve(stdout),
    );
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

/** /etc/passwd and /etc/group for inside the namespace: the host's plus the servers' own users. */
export function passwdWith(
  extra: { user: string; uid: number; gid: number; home: string }[],
  hostPasswd: string,
  hostGroup: string,
): { passwd: string; group: string } {
  const passwd = `${hostPasswd.trimEnd()}\n${extra.map((e) => `${e.user}:x:${e.uid}:${e.gid}::${e.home}:/usr/sbin/nologin`).join("\n")}\n`;
  const group = `${hostGroup.trimEnd()}\n${extra.map((e) => `${e.user}:x:${e.gid}:`).join("\n")}\n`;
  return { passwd, group };
}
