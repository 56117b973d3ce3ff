import type { Keys } from "./keys.js";
import { Cursor, type MailboxEvent } from "./records.js";
import type { RedisClient } from "./redis-client.js";
import { StoreError } from "./store-error.js";

const ADVANCE_CURSOR = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local uv = redis.call('HGET', KEYS[1], 'uidValidity')
local last = tonumber(redis.call('HGET', KEYS[1], 'lastUid') or '-1')
if ARGV[4] == '1' or (uv == ARGV[2] and tonumber(ARGV[3]) > last) then
  redis.call('HSET', KEYS[1], 'uidValidity', ARGV[2], 'lastUid', ARGV[3])
  return 1
end
return 0`;

/** Per-folder cursors: read (repairing a bad one), advance (fenced, integers only), mark verified. */
export function cursorStore(redis: RedisClient, k: Keys, recordEvent: (e: MailboxEvent) => Promise<void>) {
  return {
    /**
     * The folder's cursor. A stored cursor that is not two non-negative integers (written by an
     * older version, e.g. `lastUid: "NaN"` from a server without `[UIDNEXT]`) is deleted, recorded
     * as a `cursor.repaired` event and reported to `onInvalid`: the folder then starts afresh from
     * its start position instead of failing on every connect.
     */
    async getCursor(
      tenantId: string,
      mailboxId: string,
      folder: string,
      onInvalid?: (stored: Record<string, string>) => void,
    ): Promise<Cursor | null> {
      const key = k.cursor(tenantId, mailboxId, folder);
      const h = await redis.hgetall(key);
      if (Object.keys(h).length === 0) return null;
      const parsed = Cursor.safeParse({
        uidValidity: integerOrRaw(h.uidValidity),
        lastUid: integerOrRaw(h.lastUid),
        ...(h.verifiedAt !== undefined ? { verifiedAt: integerOrRaw(h.verifiedAt) } : {}),
      });
      if (parsed.success) return parsed.data;
      await redis.del(key);
      await recordEvent({
        at: new Date().toISOString(),
        tenantId,
        mailboxId,
        folder,
        type: "cursor.repaired",
        detail: { uidValidity: h.uidValidity ?? null, lastUid: h.lastUid ?? null, action: "restarted" },
      });
      onInvalid?.(h);
      return null;
    },
    /**
     * Moves a folder's cursor forward (never back), fenced by the mailbox lease token so a watcher
     * that lost its lease cannot write. `reset` sets it unconditionally (UIDVALIDITY change, start).
     * Returns false when fenced out.
     */
    async advanceCursor(
      tenantId: string,
      mailboxId: string,
      folder: string,
      cursor: Cursor,
      leaseToken: string | null,
      reset = false,
    ): Promise<boolean> {
      // Never a NaN or a fraction in Redis: a bad cursor is a bug upstream, refused before the write.
      const valid = Cursor.safeParse(cursor);
      if (!valid.success)
        throw new StoreError(
          "INVALID_CURSOR",
          `refusing to save cursor ${JSON.stringify({ uidValidity: String(cursor.uidValidity), lastUid: String(cursor.lastUid) })} for ${folder}: not non-negative integers`,
        );
      const r = await redis.eval(
        ADVANCE_CURSOR,
        2,
        k.cursor(tenantId, mailboxId, folder),
        k.lease(tenantId, mailboxId),
        leaseToken ?? "",
        String(cursor.uidValidity),
        String(cursor.lastUid),
        reset ? "1" : "0",
      );
      return r !== -1;
    },

    /** Records that a SELECT just confirmed the cursor's UIDVALIDITY (only if it is still the same). */
    async markCursorVerified(
      tenantId: string,
      mailboxId: string,
      folder: string,
      uidValidity: number,
      at: number,
    ): Promise<void> {
      await redis.eval(
        "if redis.call('HGET', KEYS[1], 'uidValidity') == ARGV[1] then redis.call('HSET', KEYS[1], 'verifiedAt', ARGV[2]) end return 0",
        1,
        k.cursor(tenantId, mailboxId, folder),
        String(uidValidity),
        String(at),
      );
    },
  };
}

/** A Redis hash field as a number when it is one, else the raw text (so zod rejects it). */
function integerOrRaw(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  return /^\d{1,15}$/.test(v) ? Number(v) : v;
}
