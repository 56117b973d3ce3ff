// Set-up shared by `npm start` and `npm test`: needs nothing but Node and npm.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
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

/** Runs an install step quietly: its output is shown only when it fails. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    ...opts,
  });
  if (r.status !== 0)
    process.stderr.write(`${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? `${r.error}\n` : ""}`);
  return r.status === 0;
}

// Homebrew names the formulae differently from Debian's packages.
const BREW = { "redis-server": "redis", "redis-tools": "redis", dovecot: "dovecot", openssl: "openssl" };

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
  say("installing dependencies (pnpm install, about a minute the first time)");
  const frozen = process.env.CI ? ["--frozen-lockfile"] : [];
  if (!run(pnpm, ["install", ...frozen])) {
    say("pnpm install failed");
    process.exit(1);
  }
  // pnpm leaves the marker alone when nothing changed; touch it so the next start skips the install.
  if (existsSync(marker)) utimesSync(marker, new Date(), new Date());
}

/**
 * Installs Debian packages when running as root with apt; otherwise says what to install. Returns
 * true when it installed something. `withoutServices`: a policy-rc.d keeps the packages' daemons
 * from being started by apt (the caller starts its own).
 */
export function ensureAptPackages(binaries, { withoutServices = false } = {}) {
  const missing = binaries.filter(([bin]) => !works("sh", ["-c", `command -v ${bin}`]));
  if (missing.length === 0) return false;
  const pkgs = [...new Set(missing.flatMap(([, p]) => p))];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !works("sh", ["-c", "command -v apt-get"])) {
    say(
      `missing: ${missing.map(([b]) => b).join(", ")}. Install the packages: ${pkgs.join(" ")} (Debian/Ubuntu: sudo apt-get install -y ${pkgs.join(" ")}; macOS: brew install ${pkgs.map((p) => BREW[p] ?? p).join(" ")})`,
    );
    process.exit(1);
  }
  say(`installing ${pkgs.join(" ")} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = withoutServices && !existsSync(policy);
  // Exit status 101 of policy-rc.d: "action forbidden", honoured by invoke-rc.d and deb-systemd-invoke.
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    if (
      !run("apt-get", ["update", "-qq"], { env }) ||
      !run("apt-get", ["install", "-y", "-qq", ...pkgs], { env })
    ) {
      say(`apt-get install ${pkgs.join(" ")} failed`);
      process.exit(1);
    }
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  return true;
}
