import type { Logger } from "@mailhook/log";
import type { OutboundPolicy } from "@mailhook/net";
import type { ImapFlow } from "imapflow";
import { backoffDelay } from "./backoff.js";
import {
  checkImapTarget,
  createClient,
  describeError,
  describeErrorForTenant,
  type ImapTarget,
  isAuthFailure,
} from "./client.js";
import type { ConnectGate } from "./connect-gate.js";
import { arrivedSince, selectFolder, statusUidValidity } from "./select.js";

export interface Cursor {
  uidValidity: number;
  lastUid: number;
  /** When a SELECT last confirmed this UIDVALIDITY (ms since epoch). */
  verifiedAt?: number | undefined;
}

export type StartPosition = "new" | "all" | { since: string };

export type WatchState = "connecting" | "connected" | "auth-failed" | "error" | "stopped";

export interface WatchTiming {
  /**
   * How often the connection is probed with `STATUS (UIDVALIDITY)` (a silently dead TCP connection
   * never errors by itself; Cyrus and Courier show a re-created folder's new UIDVALIDITY there).
   */
  healthCheckMs: number;
  /** A probe unanswered for this long marks the connection dead; it is dropped and replaced. */
  noopTimeoutMs: number;
  /** IDLE is re-issued after this long (servers may drop IDLE after 30 minutes, RFC 2177). */
  maxIdleMs: number;
  /**
   * The folder is selected again this often (at the first probe within half a `healthCheckMs` of
   * it) to notice a deleted and re-created folder: Dovecot keeps a session's view of a deleted
   * folder and answers STATUS and LIST-STATUS from it, with the old UIDVALIDITY; only a new SELECT
   * sees the new folder. Default: every probe.
   */
  reselectMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Refused credentials are retried on a slower schedule: they rarely fix themselves within seconds. */
  authBackoffBaseMs: number;
  connectTimeoutMs: number;
  /** UIDs enqueued per batch (one addBulk + one cursor write). */
  batchSize: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = {
  healthCheckMs: 60_000,
  noopTimeoutMs: 15_000,
  maxIdleMs: 25 * 60_000,
  reselectMs: 60_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 5 * 60_000,
  authBackoffBaseMs: 30_000,
  connectTimeoutMs: 30_000,
  batchSize: 500,
};

export interface FolderWatcherDeps {
  target: ImapTarget & { tenantId?: string | undefined };
  /** Asked before every connect; the connection goes to the address it checked. */
  outbound: OutboundPolicy;
  folder: string;
  start: StartPosition;
  log: Logger;
  timing?: Partial<WatchTiming>;
  getCursor(): Promise<Cursor | null>;
  /** Persists the cursor; false means this watcher no longer owns the mailbox (lease lost). */
  saveCursor(cursor: Cursor, reset: boolean): Promise<boolean>;
  /** Records that a SELECT confirmed the cursor's UIDVALIDITY at `at`. */
  markVerified(uidValidity: number, at: number): Promise<void>;
  /** Enqueues `mail.process` for these UIDs; must be idempotent per (uidValidity, uid). */
  enqueue(uids: number[], uidValidity: number, seenAt: number): Promise<void>;
  onState(state: WatchState, detail: { error: string | null; idleSince: Date | null }): void;
  onUidValidityChange(previous: Cursor, next: Cursor): void;
  /** Called when the watcher lost ownership; it has stopped itself. */
  onFenced?(): void;
  /** Shared by a replica's watchers: bounds how many set up their connection at once. */
  connectGate?: ConnectGate;
}

/**
 * Watches one folder of one mailbox over a dedicated IDLE connection and turns every new UID into a
 * `mail.process` job, in order, exactly once per cursor advance:
 *
 *  - on connect and on every EXISTS: `UID SEARCH UID cursor+1:*`, enqueue, then advance the cursor
 *    (a crash in between re-enqueues the same deterministic job ids: BullMQ drops the duplicates);
 *  - UIDVALIDITY change: the cursor jumps to UIDNEXT (old mail is not replayed) and it is reported;
 *  - the connection is probed with STATUS (UIDVALIDITY) and replaced when silent; reconnects back off with jitter.
 */
export class FolderWatcher {
  private readonly timing: WatchTiming;
  private client: ImapFlow | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private cursor: Cursor | null = null;
  private syncing = false;
  private syncAgain = false;
  private reselectDue = false;
  private reselecting = false;
  private lastSelectAt = 0;
  private attempt = 0;
  private state: WatchState = "stopped";

  constructor(private readonly deps: FolderWatcherDeps) {
    this.timing = { ...DEFAULT_WATCH_TIMING, ...deps.timing };
  }

  get currentState(): WatchState {
    return this.state;
  }

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /** Closes the IDLE connection (LOGOUT when possible) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const c = this.client;
    if (c) {
      try {
        await Promise.race([c.logout(), sleep(2_000)]);
      } catch {
        // closing anyway
      }
      c.close();
    }
    await this.running;
    this.running = null;
    this.setState("stopped", null, null);
  }

  private setState(state: WatchState, error: string | null, idleSince: Date | null): void {
    this.state = state;
    this.deps.onState(state, { error, idleSince });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let authFailed = false;
      try {
        await this.session();
      } catch (err) {
        if (this.stopped) break;
        authFailed = isAuthFailure(err);
        // The folder status is the tenant's to read; the log keeps addresses and codes.
        this.setState(authFailed ? "auth-failed" : "error", describeErrorForTenant(err), null);
        this.deps.log.warn(
          { err: describeError(err), attempt: this.attempt, authFailed },
          "imap connection failed",
        );
      }
      if (this.stopped) break;
      const base = authFailed ? this.timing.authBackoffBaseMs : this.timing.backoffBaseMs;
      const delay = backoffDelay(this.attempt++, base, this.timing.backoffCapMs);
      this.deps.log.info({ delayMs: delay, attempt: this.attempt }, "reconnecting after backoff");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** One connection's life: resolves when it closes, throws when it could not be set up. */
  private async session(): Promise<void> {
    const { folder, log } = this.deps;
    this.setState("connecting", null, null);
    const ticket = this.deps.connectGate?.enter();
    this.wake = () => ticket?.cancel();
    const release = ticket ? await ticket.ready : null;
    this.wake = null;
    if (ticket && !release) return;
    try {
      await this.runSession(folder, log, release);
    } finally {
      release?.();
    }
  }

  /** The connection itself, once the gate let it through; frees the slot as soon as IDLE runs. */
  private async runSession(folder: string, log: Logger, releaseSlot: (() => void) | null): Promise<void> {
    if (this.stopped) return;
    const dest = await checkImapTarget(this.deps.outbound, this.deps.target, log);
    if (this.stopped) return;
    const client = createClient(this.deps.target, dest, {
      log,
      idle: true,
      noEnable: true,
      connectTimeoutMs: this.timing.connectTimeoutMs,
      maxIdleMs: this.timing.maxIdleMs,
    });
    this.client = client;
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    client.on("error", (err: unknown) => log.debug({ err: describeError(err) }, "imap error event"));
    let health: NodeJS.Timeout | null = null;
    try {
      await client.connect();
      if (this.stopped) return;
      const { uidValidity, uidNext } = await selectFolder(client, folder);
      this.lastSelectAt = Date.now();
      await this.initCursor(client, uidValidity, uidNext);
      client.on("exists", () => void this.requestSync(client));
      // A folder deleted or reselected under us: drop the connection and start over.
      client.on("mailboxClose", () => {
        if (!this.reselecting) client.close();
      });
      this.attempt = 0;
      releaseSlot?.();
      this.setState("connected", null, new Date());
      log.info({ uidValidity, uidNext, cursor: this.cursor?.lastUid }, "watching folder");
      await this.requestSync(client);
      health = setInterval(() => void this.probe(client), this.timing.healthCheckMs);
      await closed;
      if (!this.stopped) {
        this.deps.log.warn({}, "imap connection closed");
        this.setState("error", "connection closed", null);
      }
    } finally {
      if (health) clearInterval(health);
      client.removeAllListeners("exists");
      client.close();
      this.client = null;
    }
  }

  private async initCursor(client: ImapFlow, uidValidity: number, uidNext: number): Promise<void> {
    const stored = await this.deps.getCursor();
    const selectedAt = Date.now();
    if (stored && stored.uidValidity === uidValidity) {
      this.cursor = stored;
      await this.deps.markVerified(uidValidity, selectedAt);
      return;
    }
    let next: Cursor;
    let arrived: number[] = [];
    if (stored) {
      // UIDVALIDITY changed: every UID of the old generation is meaningless, and the new folder may
      // hold thousands of old (restored, moved) messages that must not be replayed. What arrived
      // after the old generation was last confirmed is new mail, judged by INTERNALDATE (arrival),
      // never by the sender's Date header.
      arrived = stored.verifiedAt ? await arrivedSince(client, stored.verifiedAt) : [];
      next = { uidValidity, lastUid: uidNext - 1 };
      this.deps.onUidValidityChange(stored, next);
    } else {
      next = { uidValidity, lastUid: await this.startUid(client, uidNext) };
    }
    if (arrived.length > 0) {
      this.deps.log.info(
        { count: arrived.length },
        "enqueueing mail that arrived in the new folder generation",
      );
      await this.deps.enqueue(arrived, uidValidity, selectedAt);
    }
    if (!(await this.deps.saveCursor(next, true))) return this.fenced(client);
    await this.deps.markVerified(uidValidity, selectedAt);
    this.cursor = { ...next, verifiedAt: selectedAt };
  }

  /** Where a brand-new folder starts: only new mail (default), everything, or mail since a date. */
  private async startUid(client: ImapFlow, uidNext: number): Promise<number> {
    const start = this.deps.start;
    if (start === "new") return uidNext - 1;
    if (start === "all") return 0;
    // SEARCH SINCE compares INTERNALDATE (arrival), never the sender-controlled Date header.
    const uids = await client.search({ since: new Date(start.since) }, { uid: true });
    if (!uids || uids.length === 0) return uidNext - 1;
    return Math.min(...uids) - 1;
  }

  /** Coalesces EXISTS bursts: one sync runs at a time, and one more runs if mail came meanwhile. */
  private async requestSync(client: ImapFlow): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.syncAgain = false;
        await this.sync(client);
      } while (this.syncAgain && !this.stopped && this.client === client);
    } catch (err) {
      if (!this.stopped) {
        this.deps.log.warn({ err: describeError(err) }, "sync failed; reconnecting");
        client.close();
      }
    } finally {
      this.syncing = false;
    }
  }

  private async sync(client: ImapFlow): Promise<void> {
    if (this.reselectDue && !this.stopped) {
      this.reselectDue = false;
      this.reselecting = true;
      const { uidValidity, uidNext } = await selectFolder(client, this.deps.folder).finally(() => {
        this.reselecting = false;
      });
      this.lastSelectAt = Date.now();
      if (this.cursor && uidValidity !== this.cursor.uidValidity) {
        await this.initCursor(client, uidValidity, uidNext);
      } else {
        await this.deps.markVerified(uidValidity, this.lastSelectAt);
      }
    }
    const cursor = this.cursor;
    if (!cursor || this.stopped) return;
    const seenAt = Date.now();
    // `n:*` always includes the highest UID even when it is below n, hence the filter.
    const found = await client.search({ uid: `${cursor.lastUid + 1}:*` }, { uid: true });
    const uids = (found || []).filter((u) => u > cursor.lastUid).sort((a, b) => a - b);
    for (let i = 0; i < uids.length; i += this.timing.batchSize) {
      const batch = uids.slice(i, i + this.timing.batchSize);
      await this.deps.enqueue(batch, cursor.uidValidity, seenAt);
      const next = { uidValidity: cursor.uidValidity, lastUid: batch[batch.length - 1]! };
      if (!(await this.deps.saveCursor(next, false))) return this.fenced(client);
      this.cursor = next;
      cursor.lastUid = next.lastUid;
    }
    if (uids.length > 0)
      this.deps.log.debug({ count: uids.length, lastUid: this.cursor?.lastUid }, "enqueued");
  }

  /**
   * Every `healthCheckMs`: `STATUS folder (UIDVALIDITY)`, which proves the connection alive like a
   * NOOP would; on Cyrus and Courier it also sees a folder deleted and re-created (IDLE and NOOP say
   * nothing), and a new UIDVALIDITY triggers a reselect at once. Dovecot answers STATUS for the
   * selected folder from the session's view, which is still the deleted folder's: there the
   * reselect due every `reselectMs` (every probe by default) is what sees the new folder.
   */
  private async probe(client: ImapFlow): Promise<void> {
    if (this.client !== client || this.stopped) return;
    const seen = await Promise.race([
      statusUidValidity(client, this.deps.folder).then(
        (v) => ({ ok: true as const, uidValidity: v }),
        () => ({ ok: false as const }),
      ),
      sleep(this.timing.noopTimeoutMs).then(() => ({ ok: false as const })),
    ]);
    if (!seen.ok && this.client === client && !this.stopped) {
      this.deps.log.warn(
        { timeoutMs: this.timing.noopTimeoutMs },
        "STATUS probe failed; replacing connection",
      );
      client.close();
      return;
    }
    const changed = seen.ok && seen.uidValidity !== null && seen.uidValidity !== this.cursor?.uidValidity;
    if (changed)
      this.deps.log.info({ uidValidity: seen.uidValidity }, "STATUS shows a new UIDVALIDITY; reselecting");
    // Half a probe interval of tolerance: a reselect due every probe must not slip to every other
    // one because the last SELECT completed a few ms after the probe that asked for it.
    const due = Date.now() - this.lastSelectAt >= this.timing.reselectMs - this.timing.healthCheckMs / 2;
    if (changed || due) {
      this.reselectDue = true;
      void this.requestSync(client);
    }
  }

  private fenced(client: ImapFlow): void {
    this.deps.log.warn({}, "mailbox lease lost; stopping this watcher");
    this.stopped = true;
    client.close();
    this.deps.onFenced?.();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
