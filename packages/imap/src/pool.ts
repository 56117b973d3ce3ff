import type { Logger } from "@mailhook/log";
import type { ImapFlow } from "imapflow";
import { createClient, type ImapTarget } from "./client.js";

export interface PoolOptions {
  log: Logger;
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

  async function acquire(slot: Slot, target: ImapTarget, log: Logger): Promise<Conn> {
    for (;;) {
      if (closed) throw new Error("connection pool closed");
      const free = slot.conns.find((c) => !c.busy && c.client.usable);
      if (free) {
        free.busy = true;
        return free;
      }
      for (const dead of slot.conns.filter((c) => !c.busy && !c.client.usable)) drop(slot, dead, false);
      if (slot.conns.length < max) {
        const client = createClient(target, {
          log,
          idle: false,
          connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
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
          timer = setTimeout(
            () => reject(new Error(`IMAP operation exceeded ${operationTimeoutMs} ms; connection dropped`)),
            operationTimeoutMs,
          );
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
