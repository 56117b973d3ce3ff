// Set-up shared by `npm start` and `npm test`: needs nothing but Node and npm.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PNPM_VERSION = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split(
  "@",
)[1];
const localPnpm = join(root, ".tools", "node_modules", ".bin", "pnpm");

export function say(msg) {
  process.stderr.write(`[mailhook] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  return r.status === 0;
}

function works(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "pipe", encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The pnpm to use: a matching global one, else a project-local copy installed with npm. */
export function ensurePnpm() {
  if (works("pnpm", ["--version"]) === PNPM_VERSION) return "pnpm";
  if (existsSync(localPnpm) && works(localPnpm, ["--version"]) === PNPM_VERSION) return localPnpm;
  say(`installing pnpm ${PNPM_VERSION} into .tools/ (npm)`);
  if (
    !run("npm", [
      "install",
      "--prefix",
      join(root, ".tools"),
      "--no-save",
      "--no-audit",
      "--no-fund",
      `pnpm@${PNPM_VERSION}`,
    ])
  ) {
    say(`could not install pnpm; install it yourself: npm i -g pnpm@${PNPM_VERSION}`);
    process.exit(1);
  }
  return localPnpm;
}

/** Installs dependencies when node_modules is missing or older than the lockfile. */
export function ensureDeps(pnpm) {
  const marker = join(root, "node_modules", ".modules.yaml");
  const lock = join(root, "pnpm-lock.yaml");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say("installing dependencies (pnpm install)");
  const frozen = process.env.CI ? ["--frozen-lockfile"] : [];
  if (!run(pnpm, ["install", ...frozen])) {
    say("pnpm install failed");
    process.exit(1);
  }
  // pnpm leaves the marker alone when nothing changed; touch it so the next start skips the install.
  if (existsSync(marker)) utimesSync(marker, new Date(), new Date());
}

/** Installs Debian packages when running as root with apt; otherwise says what to install. */
export function ensureAptPackages(binaries) {
  const missing = binaries.filter(([bin]) => !works("sh", ["-c", `command -v ${bin}`]));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.flatMap(([, p]) => p))];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !works("sh", ["-c", "command -v apt-get"])) {
    say(
      `missing: ${missing.map(([b]) => b).join(", ")}. Install the packages: ${pkgs.join(" ")} (Debian/Ubuntu: sudo apt-get install -y ${pkgs.join(" ")}; macOS: brew install ${pkgs.join(" ")})`,
    );
    process.exit(1);
  }
  say(`installing ${pkgs.join(" ")} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (
    !run("apt-get", ["update", "-qq"], { env }) ||
    !run("apt-get", ["install", "-y", "-qq", ...pkgs], { env })
  ) {
    say(`apt-get install ${pkgs.join(" ")} failed`);
    process.exit(1);
  }
}
