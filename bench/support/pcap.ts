import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** One TCP segment with payload, as captured on the loopback interface. */
export interface Segment {
  /** Capture time, ms since the epoch (microsecond resolution). */
  at: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** Whether `tcpdump` can run here (a bench that needs it says so and stops). */
export function hasTcpdump(): boolean {
  return spawnSync("tcpdump", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Captures TCP traffic on `lo` to/from the given ports into `file` until `stop()`. Resolves once
 * tcpdump says it is listening, so nothing sent afterwards is missed.
 */
export async function startCapture(
  file: string,
  ports: number[],
  snapLen = 512,
): Promise<{ stop(): Promise<void> }> {
  const filter = `tcp and (${ports.map((p) => `port ${p}`).join(" or ")})`;
  const child: ChildProcess = spawn(
    "tcpdump",
    ["-i", "lo", "-n", "-U", "-s", String(snapLen), "-w", file, filter],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      if (err.includes("listening on")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`tcpdump exited (${code}): ${err.trim()}`)));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners("exit");
        child.on("exit", () => resolve());
        child.kill("SIGINT");
      }),
  };
}

/** The TCP segments with payload of a pcap file (Ethernet or Linux cooked framing, IPv4 and IPv6). */
export function readPcap(file: string): Segment[] {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  const link = b.readUInt32LE(20);
  const frame = link === 113 ? 16 : link === 0 ? 4 : 14;
  const out: Segment[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const sec = b.readUInt32LE(off);
    const frac = b.readUInt32LE(off + 4);
    const len = b.readUInt32LE(off + 8);
    const pkt = b.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    const ip = pkt.subarray(frame);
    if (ip.length < 20) continue;
    const v = ip[0]! >> 4;
    const [proto, tcpAt] = v === 4 ? [ip[9], (ip[0]! & 15) * 4] : v === 6 ? [ip[6], 40] : [0, 0];
    if (proto !== 6) continue;
    const tcp = ip.subarray(tcpAt);
    if (tcp.length < 20) continue;
    const payload = tcp.subarray((tcp[12]! >> 4) * 4);
    if (payload.length === 0) continue;
    out.push({
      at: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3),
      srcPort: tcp.readUInt16BE(0),
      dstPort: tcp.readUInt16BE(2),
      payload,
    });
  }
  return out;
}

/** Local TCP ports of a process's sockets (from /proc: its fds' socket inodes, /proc/net/tcp{,6}). */
export function localPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(Number.parseInt(cols[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}
