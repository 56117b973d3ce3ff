import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Dovecot needs one inotify instance per IDLE session; all virtual users share one uid, so the
 * default fs.inotify.max_user_instances (128) is raised (as root) or Dovecot falls back to polling.
 * Returns the limit now in force.
 */
export function raiseInotify(wanted: number): number {
  const path = "/proc/sys/fs/inotify/max_user_instances";
  const current = Number(readFileSync(path, "utf8").trim());
  if (current >= wanted) return current;
  try {
    execFileSync("sysctl", ["-w", `fs.inotify.max_user_instances=${wanted}`], { stdio: "ignore" });
  } catch {
    process.stdout.write(
      `could not raise fs.inotify.max_user_instances to ${wanted} (not root?): Dovecot will poll past ${current}\n`,
    );
  }
  return Number(readFileSync(path, "utf8").trim());
}
