import type { Logger } from "@mailhook/log";
import type { OutboundPolicy } from "@mailhook/net";
import type { SessionBudget } from "@mailhook/store";
import type { ImapFlow } from "imapflow";
import { checkImapTarget, createClient, type ImapTarget } from "./client.js";
import { SessionBudgetFull, sessionLimit } from "./session-limit.js";

/** A mailbox as the pool sees it; `maxSessions` is the mailbox's own cap on worker sessions. */
export type PoolMailbox = ImapTarget & { id: string; tenantId: string; maxSessions?: number | undefined };

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
  /**
   * The cluster-wide budget of worker sessions per mailbox (IMAP_SESSIONS_PER_MAILBOX): a lease
   * is taken before each connection opens and given back when it closes. Without it only this
   * process's `maxPerMailbox` bounds the connections.
   */
  budget?: { leases: Pick<SessionBudget, "acquire" | "release" | "onLost">; perMailbox: number };
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
  /** Its lease in the session budget (null without a budget, or once the lease was lost). */
  session: number | null;
  /** The lease could not be renewed: the connection closes as soon as it is not busy. */
  lost: boolean;
  busy: boolean;
  folder: string | null;
  uidValidity: number;
  lastUsed: number;
}

interface Slot {
  ref: { tenantId: string; mailboxId: string };
  conns: Conn[];
  waiters: (() => void)[];
  /** Connections being opened (budget asked, outbound checked, not yet in `conns`). */
  opening: number;
  /** The budget said full until then (a short memory, so a burst of jobs asks Redis once). */
  refusedUntil: number;
  holders: string[];
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
  /** Lease numbers in use per mailbox (slots of old credentials share the mailbox's numbers). */
  const numbers = new Map<string, Set<number>>();
  const budget = opts.budget;
  let closed = false;

  const keyOf = (t: PoolMailbox) =>
    JSON.stringify([t.tenantId, t.id, t.host, t.port, t.tls, t.tlsVerify, t.user, t.password, t.authMethod]);
  const refKey = (ref: Slot["ref"]) => `${ref.tenantId}/${ref.mailboxId}`;

  function takeNumber(ref: Slot["ref"]): number {
    const used = numbers.get(refKey(ref)) ?? new Set<number>();
    numbers.set(refKey(ref), used);
    let n = 0;
    while (used.has(n)) n++;
    used.add(n);
    return n;
  }
  function freeNumber(ref: Slot["ref"], n: number): void {
    const used = numbers.get(refKey(ref));
    used?.delete(n);
    if (used?.size === 0) numbers.delete(refKey(ref));
  }
  /** Frees lease `n` here and in Redis (fire and forget: an unreleased lease expires on its own). */
  function unlease(ref: Slot["ref"], n: number): void {
    freeNumber(ref, n);
    budget?.leases
      .release(ref, n)
      .catch((err: unknown) =>
        opts.log.warn({ err: String(err) }, "could not release an IMAP session lease"),
      );
  }
  function giveBack(slot: Slot, c: Conn): void {
    if (c.session === null) return;
    const n = c.session;
    c.session = null;
    // A lost lease is no longer ours in Redis; only the number is freed.
    if (c.lost) freeNumber(slot.ref, n);
    else unlease(slot.ref, n);
  }

  budget?.leases.onLost((ref, n) => {
    for (const slot of slots.values()) {
      if (refKey(slot.ref) !== refKey(ref)) continue;
      for (const c of [...slot.conns]) {
        if (c.session !== n) continue;
        c.lost = true;
        opts.log.warn(
          { mailboxId: ref.mailboxId },
          "IMAP session lease lost (not renewed in time); closing it",
        );
        if (!c.busy) drop(slot, c, true);
      }
    }
  });

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
    giveBack(slot, c);
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

  /** A lease of the budget for one more connection; false: wait for this process's own. */
  async function lease(slot: Slot, target: PoolMailbox): Promise<number | null | false> {
    if (!budget) return null;
    const n = takeNumber(slot.ref);
    const limit = sessionLimit(budget.perMailbox, target.maxSessions);
    const answer =
      Date.now() < slot.refusedUntil
        ? { ok: false as const, holders: slot.holders }
        : await budget.leases.acquire(slot.ref, n, limit).catch((err: unknown) => {
            // Redis away: the job fails and is retried like any other Redis error.
            freeNumber(slot.ref, n);
            throw err;
          });
    if (answer.ok) return n;
    freeNumber(slot.ref, n);
    slot.refusedUntil = Date.now() + 200;
    slot.holders = answer.holders;
    // Holding none here, waiting could last as long as another worker keeps its sessions: the job
    // is deferred instead (and may then land on the worker that holds them).
    if (slot.conns.length === 0) throw new SessionBudgetFull(target.id, answer.holders);
    return false;
  }

  async function acquire(slot: Slot, target: PoolMailbox, log: Logger): Promise<Conn> {
    for (;;) {
      if (closed) throw new Error("connection pool closed");
      for (const gone of slot.conns.filter((c) => !c.busy && c.lost)) drop(slot, gone, true);
      const free = slot.conns.find((c) => !c.busy && c.client.usable);
      if (free) {
        free.busy = true;
        if (Date.now() - free.lastUsed <= probeIdleMs || (await probe(free))) return free;
        // Dead: dropped, and the loop opens a fresh one (other jobs keep their connections).
        drop(slot, free, false);
        continue;
      }
      for (const dead of slot.conns.filter((c) => !c.busy && !c.client.usable)) drop(slot, dead, false);
      if (slot.conns.length + slot.opening < max) {
        slot.opening++;
        let session: number | null | false = null;
        let dest: Awaited<ReturnType<typeof checkImapTarget>>;
        try {
          session = await lease(slot, target);
          if (session !== false) dest = await checkImapTarget(opts.outbound, target, log);
        } catch (err) {
          if (typeof session === "number") unlease(slot.ref, session);
          throw err;
        } finally {
          slot.opening--;
        }
        if (session === false) {
          await new Promise<void>((resolve) => slot.waiters.push(resolve));
          continue;
        }
        if (closed) {
          if (session !== null) unlease(slot.ref, session);
          continue;
        }
        const client = createClient(target, dest!, {
          log,
          idle: false,
          connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
          socketTimeoutMs: commandTimeoutMs,
        });
        client.on("error", () => {});
        const conn: Conn = {
          client,
          session,
          lost: false,
          busy: true,
          folder: null,
          uidValidity: 0,
          lastUsed: Date.now(),
        };
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
      mailbox: PoolMailbox,
      folder: string,
      fn: (h: FolderHandle) => Promise<T>,
    ): Promise<T> {
      const key = keyOf(mailbox);
      let slot = slots.get(key);
      if (!slot) {
        slot = {
          ref: { tenantId: mailbox.tenantId, mailboxId: mailbox.id },
          conns: [],
          waiters: [],
          opening: 0,
          refusedUntil: 0,
          holders: [],
        };
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
        if (conn.lost) drop(slot, conn, true);
        else slot.waiters.shift()?.();
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
              async () => {
                c.client.close();
                const n = c.session;
                c.session = null;
                if (n !== null && !c.lost) await budget?.leases.release(s.ref, n).catch(() => {});
              },
            ),
          ),
        ),
      );
      numbers.clear();
      for (const s of slots.values()) for (const w of s.waiters) w();
      slots.clear();
    },
  };
}
export type ConnectionPool = ReturnType<typeof createConnectionPool>;
