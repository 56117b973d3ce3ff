import type { Segment } from "./pcap.js";

/** One request a mailhook process sent on the path of a message, with the server's first answer. */
export interface Exchange {
  /** `watcher: UID SEARCH`, `worker: set delivery`, `worker: POST /mailhook/archive`, … */
  label: string;
  /** ms after the watcher's EXISTS for the message. */
  at: number;
  /** ms until the first answering segment on the same connection (null: none before the next request). */
  rttMs: number | null;
}

export interface MessagePath {
  uid: number;
  /** EXISTS at the watcher → the first POST on the wire (ms). */
  totalMs: number;
  /** Time with at least one request on the path waiting for its answer (ms). */
  waitMs: number;
  /** totalMs − waitMs: the services computing (or waiting for a core) between exchanges. */
  computeMs: number;
  exchanges: Exchange[];
}

export interface Ports {
  imap: number;
  redis: number;
  http: number;
  watcher: Set<number>;
  worker: Set<number>;
}

/** Redis request → `cmd keykind` per command of the segment (RESP arrays; the key without the prefix). */
function redisLabels(p: Buffer): string[] {
  const text = p.toString("latin1");
  const out: string[] = [];
  const re = /\*(\d+)\r\n/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) break;
    i = re.lastIndex;
    const args: string[] = [];
    for (let n = Number(m[1]); n > 0; n--) {
      const h = /\$(\d+)\r\n/y;
      h.lastIndex = i;
      const b = h.exec(text);
      if (!b) break;
      const len = Number(b[1]);
      args.push(text.slice(h.lastIndex, h.lastIndex + Math.min(len, 200)));
      i = h.lastIndex + len + 2;
    }
    const cmd = (args[0] ?? "?").toLowerCase();
    if (cmd === "eval" && (args[1] ?? "").includes("redis.call('TIME')")) out.push("heartbeat");
    else if (cmd === "pubsub" || cmd === "publish") out.push("heartbeat");
    else {
      const key = cmd === "eval" || cmd === "evalsha" ? args[3] : args[1];
      const kind = (key ?? "").replace(/[{}]/g, "").split(":")[1] ?? "";
      out.push(`${cmd}${kind ? ` ${kind}` : ""}`);
    }
    if (out.length > 12) break;
  }
  return out;
}

function imapLabel(p: Buffer): string {
  const line = p.toString("latin1").split("\r\n")[0] ?? "";
  if (line === "DONE") return "DONE";
  const m = /^\S+ (UID \S+|\S+)/.exec(line);
  const verb = m?.[1] ?? line.slice(0, 12);
  if (verb === "UID FETCH") return line.includes("BODYSTRUCTURE") ? "UID FETCH meta" : "UID FETCH sections";
  return verb;
}

const BACKGROUND = new Set(["heartbeat", "STATUS", "IDLE", "bzpopmin mail.process"]);

/**
 * The message paths of a capture of isolated messages (a fresh folder, so the Nth EXISTS is UID
 * N): for each, the requests mailhook's processes sent from the watcher's EXISTS until the first
 * webhook POST, and how long each waited for its answer. Background traffic (membership
 * heartbeats, health probes, re-entering IDLE, the worker's blocking wait for jobs) is left out.
 */
export function messagePaths(segments: readonly Segment[], ports: Ports): MessagePath[] {
  // Only workers send webhooks: a keep-alive connection opened and closed during the run (no longer
  // in the worker's socket list at the end) is the worker's too.
  const httpClients = new Set(segments.filter((s) => s.dstPort === ports.http).map((s) => s.srcPort));
  const owner = (port: number) =>
    ports.watcher.has(port) ? "watcher" : ports.worker.has(port) || httpClients.has(port) ? "worker" : null;
  const anchors: { uid: number; at: number }[] = [];
  type Req = { label: string; at: number; conn: string; answer: number | null };
  const reqs: Req[] = [];
  const lastReq = new Map<string, Req>();
  for (const s of segments) {
    const fromProc = owner(s.srcPort);
    const toProc = owner(s.dstPort);
    if (toProc === "watcher" && s.srcPort === ports.imap) {
      const m = /\* (\d+) EXISTS/.exec(s.payload.toString("latin1"));
      if (m && !anchors.some((a) => a.uid === Number(m[1]))) anchors.push({ uid: Number(m[1]), at: s.at });
    }
    if (toProc) {
      const r = lastReq.get(`${s.dstPort}`);
      if (r && r.answer === null) r.answer = s.at;
      continue;
    }
    if (!fromProc) continue;
    const labels =
      s.dstPort === ports.redis
        ? redisLabels(s.payload)
        : s.dstPort === ports.imap
          ? [imapLabel(s.payload)]
          : s.dstPort === ports.http
            ? [`POST ${/^POST (\S+)/.exec(s.payload.toString("latin1"))?.[1] ?? "?"}`]
            : [];
    const kept = labels.filter((l) => !BACKGROUND.has(l));
    // A continuation segment of a large request (no command at its start) is not a new request.
    if (kept.length === 0 || (s.dstPort === ports.http && !s.payload.toString("latin1").startsWith("POST")))
      continue;
    const r: Req = {
      label: `${fromProc}: ${[...new Set(kept)].join(" + ")}`,
      at: s.at,
      conn: `${s.srcPort}`,
      answer: null,
    };
    reqs.push(r);
    lastReq.set(r.conn, r);
  }
  const paths: MessagePath[] = [];
  anchors.forEach((a, i) => {
    const next = anchors[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const inWindow = reqs.filter((r) => r.at >= a.at && r.at < next);
    const postAt = inWindow.find((r) => r.label.startsWith("worker: POST"))?.at;
    if (postAt === undefined) return;
    const onPath = inWindow.filter((r) => r.at <= postAt);
    const seen = new Map<string, number>();
    const exchanges = onPath.map((r) => {
      const n = (seen.get(r.label) ?? 0) + 1;
      seen.set(r.label, n);
      return {
        label: n > 1 ? `${r.label} #${n}` : r.label,
        at: r.at - a.at,
        rttMs: r.answer === null ? null : r.answer - r.at,
      };
    });
    // Union of the waiting intervals, cut at the POST.
    let wait = 0;
    let reach = 0;
    for (const e of exchanges.slice(0, -1)) {
      if (e.rttMs === null) continue;
      const from = Math.max(e.at, reach);
      const to = Math.min(e.at + e.rttMs, postAt - a.at);
      if (to > from) wait += to - from;
      reach = Math.max(reach, to);
    }
    const totalMs = postAt - a.at;
    paths.push({ uid: a.uid, totalMs, waitMs: wait, computeMs: totalMs - wait, exchanges });
  });
  return paths;
}
