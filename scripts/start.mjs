#!/usr/bin/env node
// `npm start`: installs what is missing, finds or starts Redis, then runs api + watcher + worker.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { ensureBuilt, serviceEntry } from "./build.mjs";
import { ensureAptPackages, ensureDeps, ensurePnpm, root, say } from "./lib/bootstrap.mjs";

const pnpm = ensurePnpm();
ensureDeps(pnpm);
// The services run as plain JavaScript (pnpm run build); rebuilt only when a source changed.
if (await ensureBuilt()) say("built the services (services/*/dist/main.js)");

const dataDir = join(root, ".data");
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
if (!env.MAILHOOK_ENCRYPTION_KEYS) {
  const keyFile = join(dataDir, "encryption-keys");
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, `k1:${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    say(`generated an encryption key in ${keyFile} (set MAILHOOK_ENCRYPTION_KEYS to use your own)`);
  }
  chmodSync(keyFile, 0o600);
  env.MAILHOOK_ENCRYPTION_KEYS = readFileSync(keyFile, "utf8").trim();
}

function ping(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on("error", () => done(false));
    s.on("connect", () =>
      s.write(u.password ? `AUTH ${decodeURIComponent(u.password)}\r\nPING\r\n` : "PING\r\n"),
    );
    s.on("data", (d) => done(/PONG/.test(d.toString())));
  });
}

// The local default: a Redis on this port, started here when none answers.
const localPort = env.MAILHOOK_LOCAL_REDIS_PORT ?? "6379";
const localUrl = `redis://127.0.0.1:${localPort}`;
const children = [];
let redisChild = null;
if (env.REDIS_URL) {
  if (!(await ping(env.REDIS_URL))) {
    say("REDIS_URL is set but Redis does not answer there");
    process.exit(1);
  }
} else if (await ping(localUrl)) {
  env.REDIS_URL = localUrl;
  say(`using the Redis already running at 127.0.0.1:${localPort} (keys under the mailhook prefix)`);
} else {
  ensureAptPackages([["redis-server", ["redis-server"]]]);
  const redisDir = join(dataDir, "redis");
  mkdirSync(redisDir, { recursive: true });
  say(`starting redis-server on 127.0.0.1:${localPort} (append-only, data in ${redisDir})`);
  redisChild = spawn(
    "redis-server",
    [
      "--port",
      localPort,
      "--bind",
      "127.0.0.1",
      "--appendonly",
      "yes",
      "--maxmemory-policy",
      "noeviction",
      "--dir",
      redisDir,
      "--logfile",
      join(redisDir, "redis.log"),
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  env.REDIS_URL = localUrl;
  for (let i = 0; i < 50 && !(await ping(env.REDIS_URL)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await ping(env.REDIS_URL))) {
    say(`redis-server did not start; see ${join(redisDir, "redis.log")}`);
    process.exit(1);
  }
}

if (!env.MAILHOOK_CONFIG && existsSync(join(root, "mailhook.yaml")))
  env.MAILHOOK_CONFIG = join(root, "mailhook.yaml");
const port = env.API_PORT ?? "8787";
say(`Redis:   ${env.REDIS_URL.replace(/\/\/[^@]*@/, "//***@")}`);
say(
  `Config:  ${env.MAILHOOK_CONFIG ?? "none (copy mailhook.example.yaml to mailhook.yaml to add mailboxes)"}`,
);
say(
  `API:     http://${env.API_HOST ?? "127.0.0.1"}:${port}  (/docs, /openapi.json, /healthz, /readyz, /metrics)`,
);
say(`Admin:   the token in .data/admin-token (or MAILHOOK_ADMIN_TOKEN) creates tenants: see docs/api.md`);
say("Logs:    JSON lines on stdout, one per event; Ctrl-C stops everything cleanly");

let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null))).then(
    () => {
      if (redisChild && redisChild.exitCode === null) {
        redisChild.once("exit", () => process.exit(code));
        redisChild.kill("SIGTERM");
      } else process.exit(code);
    },
  );
}

for (const name of ["api", "watcher", "worker"]) {
  const child = spawn(process.execPath, [serviceEntry(name)], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    say(`${name} exited (${signal ?? `code ${code}`}); stopping the others`);
    stopAll(code === 0 ? 1 : (code ?? 1));
  });
  children.push(child);
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));
