// The Redis of `npm start`: one already answering, or a redis-server started here.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { ensureAptPackages, say } from "./bootstrap.mjs";

/** True when a Redis answers PING at `url` (AUTH first when the URL has a password). */
export function ping(url) {
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

/**
 * Installs redis-server when missing. On a systemd machine Debian's package starts and enables a
 * system Redis on 6379, which would then win the port (and keep our data out of .data/redis):
 * a policy-rc.d keeps apt from starting it, and the unit is disabled afterwards.
 */
export function ensureRedisServer() {
  const installed = ensureAptPackages(
    [
      ["redis-server", ["redis-server"]],
      // The test harness builds a local Redis Cluster with redis-cli --cluster create.
      ["redis-cli", ["redis-tools"]],
    ],
    { withoutServices: true },
  );
  if (installed && spawnSync("sh", ["-c", "command -v systemctl"]).status === 0) {
    spawnSync("systemctl", ["disable", "--now", "redis-server.service"], { stdio: "ignore" });
  }
}

/** Starts redis-server on 127.0.0.1:`port` under `sup` (stopped last), data in `dataDir`/redis. */
export async function startLocalRedis(sup, dataDir, port) {
  const redisDir = join(dataDir, "redis");
  mkdirSync(redisDir, { recursive: true });
  const logFile = join(redisDir, "redis.log");
  say(`starting redis-server on 127.0.0.1:${port} (append-only, data in ${redisDir})`);
  const child = spawn(
    "redis-server",
    [
      ...["--port", port, "--bind", "127.0.0.1", "--appendonly", "yes"],
      ...["--maxmemory-policy", "noeviction", "--dir", redisDir, "--logfile", logFile],
    ],
    { stdio: ["ignore", "ignore", "inherit"], detached: true },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && child.exitCode === null && !(await ping(url)); i++)
    await new Promise((r) => setTimeout(r, 100));
  if (child.exitCode !== null || !(await ping(url))) {
    const tail = existsSync(logFile)
      ? readFileSync(logFile, "utf8").trim().split("\n").slice(-3).join("\n")
      : "";
    say(
      `redis-server did not start on 127.0.0.1:${port}${/in use/i.test(tail) ? " (the port is in use; set MAILHOOK_LOCAL_REDIS_PORT to another one)" : ""}; see ${logFile}\n${tail}`,
    );
    child.kill("SIGKILL");
    process.exit(1);
  }
  // Stopped last (tier 0), after the services (tier 1) have drained.
  sup.adopt("redis-server", child, 0);
}

/** Calls `onLine` for each complete line of a stream. */
export function forwardLines(stream, onLine) {
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    buf += chunk;
    let i = buf.indexOf("\n");
    while (i >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
      i = buf.indexOf("\n");
    }
  });
  stream.on("end", () => buf && onLine(buf));
}
