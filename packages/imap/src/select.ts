import type { ImapFlow, MailboxObject } from "imapflow";

export interface SelectedFolder {
  uidValidity: number;
  uidNext: number;
}

/**
 * SELECTs `folder` read-write and returns its UIDVALIDITY and UIDNEXT, both checked integers.
 *
 * - Read-write, like the worker's sessions: Courier assigns a folder's UIDVALIDITY on its first
 *   read-write open, so an EXAMINE could record a value the worker never sees (and every job would
 *   look stale).
 * - UIDNEXT from STATUS when the SELECT answer has no `[UIDNEXT]` (Courier; RFC 3501 lets a server
 *   omit it), else from the highest UID present (`UID FETCH *`); an empty folder starts at 1.
 */
export async function selectFolder(client: ImapFlow, folder: string): Promise<SelectedFolder> {
  skipListBeforeSelect(client, folder);
  const mailbox = await client.mailboxOpen(folder);
  const uidValidity = Number(mailbox.uidValidity);
  if (!isUid(uidValidity)) throw new Error(`the server sent no usable UIDVALIDITY for ${folder}`);
  return { uidValidity, uidNext: await uidNextOf(client, folder, mailbox) };
}

/**
 * Before the first SELECT of a folder imapflow runs `LIST "" folder` and, on IMAP4rev1 servers,
 * `LSUB` too, only to fill its folder cache with delimiter, special-use and subscription flags,
 * none of which a watcher reads: two of the ten round trips of a watcher's connect (measured on
 * Dovecot, `bench/results` and docs/scaling.md). Seeding the cache skips them. A folder that does
 * not exist still fails at SELECT. If imapflow's internals differ (no such Map), nothing is seeded
 * and it LISTs as before.
 */
function skipListBeforeSelect(client: ImapFlow, folder: string): void {
  const cache = (client as unknown as { folders?: unknown }).folders;
  if (cache instanceof Map && !cache.has(folder)) cache.set(folder, { path: folder, listed: true });
}

async function uidNextOf(client: ImapFlow, folder: string, mailbox: MailboxObject): Promise<number> {
  if (isUid(mailbox.uidNext)) return mailbox.uidNext;
  const status = await client.status(folder, { uidNext: true }).catch(() => false as const);
  if (status && isUid(status.uidNext)) return status.uidNext;
  if (mailbox.exists === 0) return 1;
  const last = await client.fetchOne("*", { uid: true });
  if (last && isUid(last.uid)) return last.uid + 1;
  throw new Error(`cannot tell UIDNEXT of ${folder}: no [UIDNEXT], STATUS or UID FETCH * answer`);
}

/** The folder's UIDVALIDITY by STATUS, which (unlike NOOP) sees a folder deleted and re-created. */
export async function statusUidValidity(client: ImapFlow, folder: string): Promise<number | null> {
  const status = await client.status(folder, { uidValidity: true });
  const v = status ? Number(status.uidValidity) : Number.NaN;
  return isUid(v) ? v : null;
}

function isUid(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0;
}

const ARRIVAL_MARGIN_MS = 2_000;

/**
 * UIDs whose INTERNALDATE is at or after `verifiedAt` minus a small margin: INTERNALDATE has
 * whole seconds and the server's clock is not ours. The margin errs towards delivering a message
 * that arrived a moment before the folder was replaced rather than losing one that arrived after.
 * SEARCH SINCE is day-granular, so it only narrows the candidates.
 */
export async function arrivedSince(client: ImapFlow, verifiedAt: number): Promise<number[]> {
  const since = Math.floor(verifiedAt / 1000) * 1000 - ARRIVAL_MARGIN_MS;
  const day = new Date(since);
  day.setUTCHours(0, 0, 0, 0);
  day.setUTCDate(day.getUTCDate() - 1);
  const candidates = await client.search({ since: day }, { uid: true });
  if (!candidates || candidates.length === 0) return [];
  const out: number[] = [];
  for await (const msg of client.fetch(
    candidates.join(","),
    { uid: true, internalDate: true },
    { uid: true },
  )) {
    const at = msg.internalDate ? new Date(msg.internalDate).getTime() : 0;
    if (at >= since) out.push(msg.uid);
  }
  return out.sort((a, b) => a - b);
}
