#!/usr/bin/env node
// `npm start`: installs what is missing, finds or starts Redis, then runs api + watcher + worker.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ensureBuilt, serviceEntry } from "./build.mjs";
import { ensureConsoleBuilt } from "./build-console.mjs";
import { ensureDeps, ensurePnpm, root, say } from "./lib/bootstrap.mjs";
import { printDemoCommands, startDemo } from "./lib/demo.mjs";
import { ensureRedisServer, forwardLines, ping, startLocalRedis } from "./lib/local-redis.mjs";
import { createSupervisor } from "./lib/supervise.mjs";

const pnpm = ensurePnpm();
ensureDeps(pnpm);
// The services run as plain JavaScript (pnpm run build); rebuilt only when a source changed.
if (await ensureBuilt()) say("built the services (services/*/dist/main.js)");
if (await ensureConsoleBuilt()) say("built the web console (packages/console/dist)");

// Generated secrets and the local Redis' data. MAILHOOK_DATA_DIR moves them (tests use a temp dir).
const dataDir = process.env.MAILHOOK_DATA_DIR ?? join(root, ".data");
mkdirSync(dataDir, { recursive: true });
const env = { ...process.env };

// Secrets at rest need a key. A generated one stays in .data/ (git-ignored) so restarts can decrypt.
// The admin token creates tenants and their API tokens (docs/api.md); kept next to the key.
if (!env.MAILHOOK_ADMIN_TOKEN) {
  const tokenFile = join(dataDir, "admin-token");
  if (!existsSync(tokenFile)) {
    writeFileSync(tokenFile, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
    say(`generated an admin token in ${tokenFile} (set MAILHOOK_ADMIN_TOKEN to use your own)`);
  }
  chmodSync(tokenFile, 0o600);
  env.MAILHOOK_ADMIN_TOKEN = readFileSync(tokenFile, "utf8").trim();
}
// Marks this installation's prefix in Redis: another mailhook under the same prefix is refused.
if (!env.MAILHOOK_INSTALL_ID) {
  const idFile = join(dataDir, "install-id");
  if (!existsSync(idFile)) writeFileSync(idFile, `${randomBytes(12).toString("hex")}\n`);
  env.MAILHOOK_INSTALL_ID = readFileSync(idFile, "utf8").trim();
}
if (!env.MAILHOOK_ENCRYPTION_KEYS) {
  const keyFile = join(dataDir, "encryption-keys");
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, `k1:${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    say(`generated an encryption key in ${keyFile} (set MAILHOOK_ENCRYPTION_KEYS to use your own)`);
  }
  chmodSync(keyFile, 0o600);
  env.MAILHOOK_ENCRYPTION_KEYS = readFileSync(keyFile, "utf8").trim();
}

// The local default: a Redis on this port, started here when none answers.
const localPort = env.MAILHOOK_LOCAL_REDIS_PORT ?? "6379";
const localUrl = `redis://127.0.0.1:${localPort}`;
const sup = createSupervisor();
if (env.REDIS_URL) {
  if (!(await ping(env.REDIS_URL))) {
    say("REDIS_URL is set but Redis does not answer there");
    process.exit(1);
  }
} else if (await ping(localUrl)) {
  env.REDIS_URL = localUrl;
  say(
    `using the Redis already running at 127.0.0.1:${localPort} (keys under the prefix "${env.MAILHOOK_PREFIX ?? "mh"}:"; MAILHOOK_LOCAL_REDIS_PORT picks another port)`,
  );
} else {
  ensureRedisServer();
  env.REDIS_URL = localUrl;
  await startLocalRedis(sup, dataDir, localPort);
}

const demo = process.argv.includes("--demo") ? await startDemo(sup, env, dataDir) : null;
if (!env.MAILHOOK_CONFIG && existsSync(join(root, "mailhook.yaml")))
  env.MAILHOOK_CONFIG = join(root, "mailhook.yaml");
say(`Redis:   ${env.REDIS_URL.replace(/\/\/[^@]*@/, "//***@")}`);
say(
  `Config:  ${env.MAILHOOK_CONFIG ?? "none (copy mailhook.example.yaml to mailhook.yaml to add mailboxes)"}`,
);

for (const name of ["api", "watcher", "worker"]) {
  const child = sup.run(
    name,
    process.execPath,
    [serviceEntry(name)],
    { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] },
    1,
  );
  forwardLines(child.stdout, (line) => {
    process.stdout.write(`${line}\n`);
    // The URL is printed once the API answers, not before (a browser opened early finds nothing).
    if (name === "api" && line.includes('"msg":"api listening"')) {
      const url = /"url":"([^"]+)"/.exec(line)?.[1];
      say(`API:     ${url}  (/docs, /openapi.json, /healthz, /readyz, /metrics)`);
      say(
        `Admin:   the token in ${relative(root, join(dataDir, "admin-token"))} (or MAILHOOK_ADMIN_TOKEN) creates tenants: see docs/api.md`,
      );
      say("Logs:    JSON lines on stdout, one per event; Ctrl-C stops everything cleanly");
      if (demo) printDemoCommands(demo, url);
    }
  });
}
