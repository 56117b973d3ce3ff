import type { Logger } from "@mailhook/log";
import type { OutboundPolicy } from "@mailhook/net";
import type { ImapFlow } from "imapflow";
import { checkImapTarget, createClient, type ImapTarget } from "./client.js";

export interface PoolOptions {
  log: Logger;
  /** Asked before every new connection; the connection goes to the address it checked. */
  outbound: OutboundPolicy;
  /** Connections per mailbox for fetches and actions, besides the watcher's IDLE one. Providers cap
   * connections per account (Gmail 15, many hosts 10), so the default is low. */
  maxPerMailbox?: number;
  /** Connections unused this long are logged out. */
  idleCloseMs?: number;
  connectTimeoutMs?: number;
  /**
   * A job's whole use of a connection (select, fetch, act) must finish within this; otherwise the
   * connection is presumed dead (a silent network drop never errors by itself), closed, and the job
   * fails so that BullMQ retries it on a fresh connection.
   */
  operationTimeoutMs?: number;
  /**
   * Per command: no answer (not a byte) from the server for this long and the connection is closed
   * as dead, failing the command, so the job is retried on a fresh connection. Default 30 s.
   */
  commandTimeoutMs?: number;
  /**
   * A pooled connection unused for longer than this is probed with NOOP before a job gets it
   * (default 5 s); one that does not answer within `probeTimeoutMs` is replaced. A socket that died
   * silently while idle then costs a job at most the probe timeout, not a command timeout.
   */
  probeIdleMs?: number;
  /** How long the NOOP probe may take (default: the command timeout, at most 5 s). */
  probeTimeoutMs?: number;
}

/** Work on a pooled connection ran out of time: the connection was dropped; retrying may succeed. */
export class ImapSessionLost extends Error {
  readonly code = "IMAP_SESSION_LOST";
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = "ImapSessionLost";
  }
}

interface Conn {
  client: ImapFlow;
  busy: boolean;
  folder: string | null;
  uidValidity: number;
  lastUsed: number;
}

interface Slot {
  conns: Conn[];
  waiters: (() => void)[];
}

export interface FolderHandle {
  client: ImapFlow;
  uidValidity: number;
  /** Selects the folder again and returns its UIDVALIDITY now (it is cached between jobs). */
  reopen(): Promise<number>;
}

/**
 * A small pool of non-IDLE connections per mailbox, used by workers to fetch and act. Work on one
 * connection is serialised; a connection that errors is dropped, never reused.
 */
export function createConnectionPool(opts: PoolOptions) {
  const max = opts.maxPerMailbox ?? 2;
  const idleCloseMs = opts.idleCloseMs ?? 60_000;
  const operationTimeoutMs = opts.operationTimeoutMs ?? 120_000;
  const commandTimeoutMs = opts.commandTimeoutMs ?? 30_000;
  const probeIdleMs = opts.probeIdleMs ?? 5_000;
  const probeTimeoutMs = opts.probeTimeoutMs ?? Math.min(commandTimeoutMs, 5_000);
  const stats = { probes: 0, probeFailures: 0, timeouts: 0 };
  const slots = new Map<string, Slot>();
  let closed = false;

  const keyOf = (t: ImapTarget & { id: string; tenantId: string }) =>
    JSON.stringify([t.tenantId, t.id, t.host, t.port, t.tls, t.tlsVerify, t.user, t.password, t.authMethod]);

  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const slot of slots.values()) {
        for (const c of [...slot.conns]) {
          if (!c.busy && now - c.lastUsed > idleCloseMs) drop(slot, c, true);
        }
      }
    },
    Math.min(idleCloseMs, 10_000),
  );
  sweeper.unref();

  function drop(slot: Slot, c: Conn, polite: boolean): void {
    slot.conns = slot.conns.filter((x) => x !== c);
    if (polite) c.client.logout().catch(() => c.client.close());
    else c.client.close();
    slot.waiters.shift()?.();
  }

  /** NOOP within probeTimeoutMs: true when the session answered. */
  async function probe(c: Conn): Promise<boolean> {
    stats.probes++;
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      c.client.noop().then(
        () => c.client.usable,
        () => false,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), probeTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (!ok) {
      stats.probeFailures++;
      opts.log.warn(
        { idleMs: Date.now() - c.lastUsed, probeTimeoutMs },
        "pooled IMAP session did not answer NOOP; replacing it",
      );
    }
    return ok;
  }

  async function acquire(slot: Slot, target: ImapTarget & { tenantId: string }, log: Logger): Promise<Conn> {
    for (;;) {
      if (closed) throw new Error("connection pool closed");
      const free = slot.conns.find((c) => !c.busy && c.client.usable);
      if (free) {
        free.busy = true;
        if (Date.now() - free.lastUsed <= probeIdleMs || (await probe(free))) return free;
        // Dead: dropped, and the loop opens a fresh one (other jobs keep their connections).
        drop(slot, free, false);
        continue;
      }
      for (const dead of slot.conns.filter((c) => !c.busy && !c.client.usable)) drop(slot, dead, false);
      if (slot.conns.length < max) {
        const dest = await checkImapTarget(opts.outbound, target, log);
        // Another job may have opened a connection while the check ran: look again.
        if (closed || slot.conns.length >= max) continue;
        const client = createClient(target, dest, {
          log,
          idle: false,
          connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
          socketTimeoutMs: commandTimeoutMs,
        });
        client.on("error", () => {});
        const conn: Conn = { client, busy: true, folder: null, uidValidity: 0, lastUsed: Date.now() };
        slot.conns.push(conn);
        try {
          await client.connect();
        } catch (err) {
          drop(slot, conn, false);
          throw err;
        }
        return conn;
      }
      await new Promise<void>((resolve) => slot.waiters.push(resolve));
    }
  }

  return {
    /** NOOP probes sent, probes that found a dead session, operations that ran out of time. */
    stats: () => ({ ...stats }),
    /**
     * Runs `fn` with a connection that has `folder` selected. Throws what `fn` throws; the
     * connection is dropped on any error, since its state is then unknown.
     */
    async withFolder<T>(
      mailbox: ImapTarget & { id: string; tenantId: string },
      folder: string,
      fn: (h: FolderHandle) => Promise<T>,
    ): Promise<T> {
      const key = keyOf(mailbox);
      let slot = slots.get(key);
      if (!slot) {
        slot = { conns: [], waiters: [] };
        slots.set(key, slot);
      }
      const conn = await acquire(slot, mailbox, opts.log.child({ mailboxId: mailbox.id }));
      try {
        const open = async () => {
          const mb = await conn.client.mailboxOpen(folder);
          conn.folder = folder;
          conn.uidValidity = Number(mb.uidValidity);
          return conn.uidValidity;
        };
        const work = async () => {
          if (conn.folder !== folder || !conn.client.mailbox) await open();
          return fn({ client: conn.client, uidValidity: conn.uidValidity, reopen: open });
        };
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            stats.timeouts++;
            reject(
              new ImapSessionLost(`IMAP operation exceeded ${operationTimeoutMs} ms; connection dropped`),
            );
          }, operationTimeoutMs);
        });
        const result = await Promise.race([work(), timeout]).finally(() => clearTimeout(timer));
        conn.busy = false;
        conn.lastUsed = Date.now();
        slot.waiters.shift()?.();
        return result;
      } catch (err) {
        drop(slot, conn, false);
        throw err;
      }
    },
    async close(): Promise<void> {
      closed = true;
      clearInterval(sweeper);
      await Promise.all(
        [...slots.values()].flatMap((s) =>
          s.conns.map((c) =>
            Promise.race([c.client.logout().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]).then(
              () => c.client.close(),
            ),
          ),
        ),
      );
      for (const s of slots.values()) for (const w of s.waiters) w();
      slots.clear();
    },
  };
}
export type ConnectionPool = ReturnType<typeof createConnectionPool>;
