// Debian's chromium for the console's browser tests (playwright-core drives it; no browser is
// ever downloaded). Installed only as root with apt; elsewhere the browser suite says how and skips.
import { spawnSync } from "node:child_process";
import { ensureAptPackages, say } from "./bootstrap.mjs";

export const CHROMIUM = "/usr/bin/chromium";

export function ensureChromium() {
  if (spawnSync("sh", ["-c", `command -v ${CHROMIUM}`]).status === 0) return true;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) {
    say(
      "chromium is not installed: the console's browser tests will be skipped (Debian: apt-get install chromium)",
    );
    return false;
  }
  ensureAptPackages([["chromium", ["chromium"]]]);
  return true;
}
