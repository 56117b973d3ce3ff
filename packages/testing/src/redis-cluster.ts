import { execFile } from "node:child_process";
import { Socket } from "node:net";
import { findExecutable } from "./binaries.js";
import { freePort, sleep } from "./free-port.js";
import { startRedis, type TestRedis } from "./redis.js";

export interface TestRedisCluster {
  /** The masters' addresses, for `new Cluster(nodes)` or `REDIS_CLUSTER_NODES`. */
  nodes: { host: string; port: number }[];
  /** `127.0.0.1:p1,127.0.0.1:p2,…` (the REDIS_CLUSTER_NODES form). */
  nodeList: string;
  stop(): Promise<void>;
}

const MISSING_CLI =
  "redis-cli is not installed: install the Debian package redis-tools (apt-get install -y redis-tools)";

/**
 * Starts a throw-away Redis Cluster of `masters` masters (no replicas) on free 127.0.0.1 ports:
 * one `redis-server --cluster-enabled yes` each (with its own bus port), joined by
 * `redis-cli --cluster create`, and resolves once every node reports `cluster_state:ok`.
 *
 * @example
 * const cluster = await startRedisCluster();
 * const client = new Cluster(cluster.nodes);
 * afterAll(() => cluster.stop());
 */
export async function startRedisCluster(masters = 3): Promise<TestRedisCluster> {
  const cli = findExecutable("redis-cli");
  if (!cli) throw new Error(MISSING_CLI);
  const servers: TestRedis[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      servers.push(
        await startRedis({
          // The bus port defaults to port + 10000, which may be taken or past 65535: pick one.
          args: async () => [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            `nodes-${i}.conf`,
            "--cluster-port",
            String(await freePort()),
            "--cluster-node-timeout",
            "5000",
          ],
        }),
      );
    }
    const addrs = servers.map((s) => `127.0.0.1:${s.port}`);
    await run(cli, ["--cluster", "create", ...addrs, "--cluster-replicas", "0", "--cluster-yes"]);
    const deadline = Date.now() + 30_000;
    for (const s of servers) {
      while (!(await ask(s.port, "CLUSTER INFO\r\n")).includes("cluster_state:ok")) {
        if (Date.now() > deadline)
          throw new Error(`redis cluster node ${s.port} never reached cluster_state:ok`);
        await sleep(100);
      }
    }
    return {
      nodes: servers.map((s) => ({ host: "127.0.0.1", port: s.port })),
      nodeList: addrs.join(","),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 60_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${bin} ${args.join(" ")}: ${err.message}\n${stdout}${stderr}`))
        : resolve(stdout),
    );
  });
}

/** One inline command over a raw socket; the reply's first few KB. */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let out = "";
    const done = () => {
      sock.destroy();
      resolve(out);
    };
    sock.setTimeout(2_000, done);
    sock.on("error", done);
    sock.on("data", (d) => {
      out += d.toString("utf8");
      if (out.includes("\r\n") && out.length > 20) done();
    });
    sock.connect(port, "127.0.0.1", () => sock.write(command));
  });
}
