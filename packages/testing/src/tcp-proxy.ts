import type { AddressInfo } from "node:net";
import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** Port on 127.0.0.1 to connect to instead of the target. */
  port: number;
  /** Bytes delivered from the target to clients since the last reset. */
  bytesFromTarget(): number;
  /** Bytes delivered from clients to the target since the last reset. */
  bytesToTarget(): number;
  resetCounters(): void;
  /**
   * `true`: stop forwarding in both directions while keeping every socket open, so peers see a
   * silently dead connection (data is dropped, not buffered). It applies to open connections and,
   * unless `existingOnly` is set, to connections made while it is on. `false`: forward again.
   */
  blackhole(on: boolean, opts?: { existingOnly?: boolean }): void;
  /** Destroys every open connection (both sides); the proxy keeps accepting new ones. */
  dropAll(): void;
  /** Connections open right now. */
  connections(): number;
  /** Most connections open at once, and connections accepted, since the last reset. */
  peakConnections(): number;
  accepted(): number;
  stop(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  dead: boolean;
}

/**
 * A byte-counting TCP proxy on a free 127.0.0.1 port, for measuring what a client reads from a
 * server and for simulating dead or dropped connections.
 *
 * @example
 * const proxy = await startTcpProxy({ host: dovecot.host, port: dovecot.port });
 * // point the watcher at proxy.port, then:
 * proxy.blackhole(true, { existingOnly: true }); // its IDLE connection is now silently dead
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let fromTarget = 0;
  let toTarget = 0;
  let blackholeNew = false;
  let peak = 0;
  let accepted = 0;

  const server = createServer((client) => {
    const upstream = connect({ host: target.host, port: target.port });
    const pair: Pair = { client, upstream, dead: blackholeNew };
    pairs.add(pair);
    accepted++;
    peak = Math.max(peak, pairs.size);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // Flow control like a real link: a reader that stops reading stops the sender, so the
    // counters do not include bytes the server could only send because the proxy buffered them.
    client.on("data", (chunk: Buffer) => {
      if (pair.dead) return;
      toTarget += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on("data", (chunk: Buffer) => {
      if (pair.dead) return;
      fromTarget += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    upstream.on("drain", () => client.resume());
    client.on("drain", () => upstream.resume());
    const close = () => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    // A dead link must not report the far side closing either: keep the client open.
    client.on("close", close);
    upstream.on("close", () => {
      if (!pair.dead) close();
    });
    client.on("error", () => {});
    upstream.on("error", () => {});
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const dropAll = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.client.destroy();
      pair.upstream.destroy();
    }
  };

  return {
    port,
    bytesFromTarget: () => fromTarget,
    bytesToTarget: () => toTarget,
    resetCounters() {
      fromTarget = 0;
      toTarget = 0;
      peak = pairs.size;
      accepted = 0;
    },
    blackhole(on, opts = {}) {
      blackholeNew = on && !opts.existingOnly;
      for (const pair of pairs) {
        pair.dead = on;
        // Closed upstream while dead: the far side is gone, let the client find out now.
        if (!on && pair.upstream.destroyed) {
          pairs.delete(pair);
          pair.client.destroy();
        }
      }
    },
    dropAll,
    connections: () => pairs.size,
    peakConnections: () => peak,
    accepted: () => accepted,
    stop() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        dropAll();
      });
    },
  };
}
