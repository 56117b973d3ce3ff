import type { ConnectionPool, ImapTarget } from "@mailhook/imap";
import { type FetchOptions, fetchMessages, ImapCommandFailed, serverErrorText } from "@mailhook/mime";
import type { ContentNeeds, FetchLimits, MailMessage } from "@mailhook/model";

export type FetchResult = { stale: true; current: number } | { stale: false; message: MailMessage | null };

type Mailbox = ImapTarget & { id: string; tenantId: string };

interface Waiter {
  uid: number;
  resolve: (r: FetchResult) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  mailbox: Mailbox;
  folder: string;
  uidValidity: number;
  needs: ContentNeeds;
  pending: Waiter[];
  inflight: number;
  scheduled: boolean;
}

export interface FetchBatcherOptions {
  pool: ConnectionPool;
  limits: FetchLimits;
  /** UIDs per FETCH. */
  maxBatch?: number;
  /** FETCHes in flight per folder; match the pool's connections per mailbox. */
  parallel?: number;
  /** Called after each batch with the messages fetched and the message bytes received. */
  onFetched?: (messages: number, bytes: number) => void;
  /** A message was read from its capped source instead of its BODYSTRUCTURE (see fetchMessages). */
  onFallback?: (uid: number, reason: string, parseError: string | null) => void;
  /** Command shape (sections per command, source-fallback threshold); tests turn the guards off. */
  shape?: Pick<FetchOptions, "sectionsPerCommand" | "fallbackSections">;
}

/**
 * The server answered the coalesced FETCH with NO or BAD: the session is fine and one message in
 * the batch is the likely cause. A lost session, a refused login or a timeout fail every member
 * and are retried by the queue.
 */
function isMessageLevel(err: unknown): boolean {
  return err instanceof ImapCommandFailed && !err.retryable;
}

/** A message that cannot be fetched even on its own: what the server said, for its records. */
export class MessageFetchFailed extends Error {
  readonly code = "MESSAGE_FETCH_FAILED";
  readonly retryable = true;
  constructor(
    readonly uid: number,
    readonly serverText: string,
  ) {
    super(`UID ${uid} could not be fetched: ${serverText}`);
    this.name = "MessageFetchFailed";
  }
}

/**
 * Coalesces the fetches of concurrent `mail.process` jobs of one folder into range FETCHes.
 * Each job still asks for its one UID; while a FETCH for the folder is in flight, later requests
 * queue and go out together in the next one. Measured in design.md: one streamed FETCH per UID
 * range beats one FETCH per message by ~40 %, and under a burst batches grow on their own while
 * a lone message waits only one event-loop turn.
 */
export function createFetchBatcher(opts: FetchBatcherOptions) {
  const maxBatch = opts.maxBatch ?? 200;
  const parallel = opts.parallel ?? 2;
  const lanes = new Map<string, Lane>();
  const stats = { batches: 0, uids: 0, noops: 0, bytes: 0, messages: 0, isolated: 0, poisoned: 0 };
  /** Highest UID each pooled session has been told about. */
  const knownMaxUid = new WeakMap<object, number>();

  function schedule(key: string, lane: Lane): void {
    if (lane.scheduled || lane.inflight >= parallel || lane.pending.length === 0) return;
    lane.scheduled = true;
    setImmediate(() => void run(key, lane));
  }

  async function run(key: string, lane: Lane): Promise<void> {
    lane.scheduled = false;
    const batch = lane.pending.splice(0, maxBatch);
    if (batch.length === 0) return;
    lane.inflight++;
    stats.batches++;
    stats.uids += batch.length;
    const uids = [...new Set(batch.map((w) => w.uid))];
    const settle = (uid: number, r: FetchResult | Error) => {
      for (const w of batch) if (w.uid === uid) r instanceof Error ? w.reject(r) : w.resolve(r);
    };
    try {
      const results = await fetchBatch(lane, uids);
      for (const uid of uids) settle(uid, results.get(uid) ?? { stale: false, message: null });
    } catch (err) {
      if (uids.length > 1 && isMessageLevel(err)) {
        // Poison isolation: one message the server (or the decoder) refuses must not fail or
        // delay its neighbours. Each is fetched again on its own right away, and each waiter is
        // answered as soon as its own fetch is done.
        stats.isolated++;
        await Promise.all(
          uids.map(async (uid) => {
            try {
              const r = await fetchBatch(lane, [uid]);
              settle(uid, r.get(uid) ?? { stale: false, message: null });
            } catch (one) {
              settle(uid, poisoned(uid, one));
            }
          }),
        );
      } else {
        for (const uid of uids)
          settle(uid, uids.length === 1 && isMessageLevel(err) ? poisoned(uid, err) : asError(err));
      }
    } finally {
      lane.inflight--;
      if (lane.pending.length === 0 && lane.inflight === 0) lanes.delete(key);
      else schedule(key, lane);
    }
  }

  function poisoned(uid: number, err: unknown): Error {
    if (!isMessageLevel(err)) return asError(err);
    stats.poisoned++;
    return new MessageFetchFailed(
      uid,
      err instanceof ImapCommandFailed ? err.serverText : serverErrorText(err),
    );
  }

  async function fetchBatch(lane: Lane, uids: number[]): Promise<Map<number, FetchResult>> {
    const { mailbox, folder, uidValidity, needs } = lane;
    return opts.pool.withFolder(mailbox, folder, async ({ client, uidValidity: cached, reopen }) => {
      const out = new Map<number, FetchResult>();
      // The cached UIDVALIDITY may predate a folder re-creation: look again before calling it stale.
      const current = cached === uidValidity ? cached : await reopen();
      if (current !== uidValidity) {
        for (const uid of uids) out.set(uid, { stale: true, current });
        return out;
      }
      const target = { mailboxId: mailbox.id, folder, uidValidity };
      // A pooled connection learns of mail that arrived since its last command only at the end of
      // the next one (servers announce EXISTS after the FETCH, and leave unannounced UIDs out of
      // it). UIDs above what this session has seen get a NOOP first: one round trip instead of a
      // FETCH that comes back empty.
      const known = Math.max(knownMaxUid.get(client) ?? 0, (client.mailbox ? client.mailbox.uidNext : 1) - 1);
      if (Math.max(...uids) > known) {
        await client.noop();
        stats.noops++;
      }
      const counter = { bytes: 0 };
      const fetchOpts: FetchOptions = {
        counter,
        ...opts.shape,
        ...(opts.onFallback ? { onFallback: opts.onFallback } : {}),
      };
      const found = await fetchMessages(client, target, uids, needs, opts.limits, fetchOpts);
      knownMaxUid.set(client, Math.max(known, ...found.keys()));
      const missing = uids.filter((u) => !found.has(u));
      if (missing.length > 0) {
        // Still missing: retried once after a NOOP (a racing arrival); only a UID missing then is
        // really expunged.
        await client.noop();
        stats.noops++;
        for (const [uid, m] of await fetchMessages(client, target, missing, needs, opts.limits, fetchOpts))
          found.set(uid, m);
      }
      for (const uid of uids) out.set(uid, { stale: false, message: found.get(uid) ?? null });
      stats.bytes += counter.bytes;
      stats.messages += found.size;
      opts.onFetched?.(found.size, counter.bytes);
      return out;
    });
  }

  return {
    /** Batches run and UIDs requested so far (a ratio near 1 means no coalescing happened). */
    stats: () => ({ ...stats }),
    fetch(
      mailbox: Mailbox,
      folder: string,
      uidValidity: number,
      uid: number,
      needs: ContentNeeds,
    ): Promise<FetchResult> {
      const key = JSON.stringify([mailbox.tenantId, mailbox.id, folder, uidValidity, needs]);
      let lane = lanes.get(key);
      if (!lane) {
        lane = { mailbox, folder, uidValidity, needs, pending: [], inflight: 0, scheduled: false };
        lanes.set(key, lane);
      }
      const l = lane;
      return new Promise<FetchResult>((resolve, reject) => {
        l.pending.push({ uid, resolve, reject });
        schedule(key, l);
      });
    },
  };
}
export type FetchBatcher = ReturnType<typeof createFetchBatcher>;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
