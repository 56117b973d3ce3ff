import dgram from "node:dgram";
import net, { type AddressInfo, type Socket } from "node:net";
import ipaddr from "ipaddr.js";

const A = 1;
const AAAA = 28;

export interface TestDns {
  /** `"127.0.0.1:PORT"`, for createResolver({ servers }) / MAILHOOK_DNS_SERVERS. */
  server: string;
  /**
   * Answers for a name: one A/AAAA set per query, in order, the last one repeated forever (so
   * `[["127.0.0.2"], ["127.0.0.3"]]` answers .2 once, then .3: a rebinding). `null`: NXDOMAIN.
   */
  set(name: string, answers: string[][] | null): void;
  /** A queries received for `name` so far. */
  queries(name: string): number;
  stop(): Promise<void>;
}

/**
 * A tiny authoritative DNS server on UDP 127.0.0.1 (RFC 1035 wire format, A and AAAA, TTL 0),
 * whose answers a test changes between lookups. Unknown names are NXDOMAIN.
 */
export async function startDns(): Promise<TestDns> {
  const zones = new Map<string, { answers: string[][]; next: number }>();
  const counts = new Map<string, number>();
  const sock = dgram.createSocket("udp4");
  sock.on("message", (msg, rinfo) => {
    const q = parseQuery(msg);
    if (!q) return;
    const zone = zones.get(q.name);
    let addrs: string[] = [];
    if (zone) {
      // One lookup asks A and AAAA (in either order): A advances the sequence, AAAA answers from
      // the set of the latest A query (or the first set, before any).
      const at = q.type === A ? zone.next : Math.max(0, zone.next - 1);
      addrs = zone.answers[Math.min(at, zone.answers.length - 1)] ?? [];
      if (q.type === A) {
        zone.next += 1;
        counts.set(q.name, (counts.get(q.name) ?? 0) + 1);
      }
    }
    const wanted = addrs.filter((a) => (ipaddr.parse(a).kind() === "ipv4" ? q.type === A : q.type === AAAA));
    sock.send(answer(msg, q.end, zone ? 0 : 3, q.type, wanted), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
  return {
    server: `127.0.0.1:${(sock.address() as AddressInfo).port}`,
    set(name, answers) {
      if (answers === null) zones.delete(name.toLowerCase());
      else zones.set(name.toLowerCase(), { answers, next: 0 });
    },
    queries: (name) => counts.get(name.toLowerCase()) ?? 0,
    stop: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}

function parseQuery(msg: Buffer): { name: string; type: number; end: number } | null {
  if (msg.length < 17 || msg.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString("latin1"));
    i += 1 + len;
  }
  const end = i + 5; // zero byte, QTYPE, QCLASS
  if (end > msg.length) return null;
  return { name: labels.join(".").toLowerCase(), type: msg.readUInt16BE(i + 1), end };
}

function answer(query: Buffer, questionEnd: number, rcode: number, type: number, addrs: string[]): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | rcode, 2); // QR, AA, RD copied
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addrs.length, 6);
  const records = addrs.map((a) => {
    const rdata = Buffer.from(ipaddr.parse(a).toByteArray());
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(0, 6); // TTL 0: every lookup asks again
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
}

export interface Trap {
  host: string;
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/**
 * A TCP listener on one loopback address standing for an internal service: it counts connections
 * and, with a `forward` target, relays them there (so an attack that reached it would work).
 */
export async function startTrap(
  host: string,
  port: number,
  forward?: { host: string; port: number },
): Promise<Trap> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = net.createServer((client) => {
    count += 1;
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    if (!forward) return;
    const upstream = net.connect(forward);
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
