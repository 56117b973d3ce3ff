import type { ContentNeeds, FetchLimits, MailMessage } from "@mailhook/model";
import type { FetchMessageObject, FetchQueryObject, ImapFlow } from "imapflow";
import { buildMessage, type FetchedMeta, type MessageTarget } from "./build-message.js";
import { type BodySection, type FetchPlan, planFetch } from "./fetch-planner.js";
import { commandFailed } from "./imap-error.js";
import { buildFromSource, fallbackReason, sourceCap } from "./source-fallback.js";

/** Compresses UIDs into an IMAP sequence set: [1,2,3,7,9,10] → "1:3,7,9:10". */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].filter((u) => Number.isInteger(u) && u > 0).sort((a, b) => a - b);
  const ranges: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (const uid of sorted.slice(1)) {
    if (prev !== undefined && uid === prev + 1) {
      prev = uid;
      continue;
    }
    if (start !== undefined) ranges.push(start === prev ? `${start}` : `${start}:${prev}`);
    start = uid;
    prev = uid;
  }
  if (start !== undefined) ranges.push(start === prev ? `${start}` : `${start}:${prev}`);
  return ranges.join(",");
}

function build(
  target: MessageTarget,
  { meta, plan }: { meta: FetchedMeta; plan: FetchPlan },
  limits: FetchLimits,
  parts: Map<string, Buffer> | undefined,
  source: Buffer | undefined,
): MailMessage {
  return buildMessage(target, meta, plan, parts ?? new Map(), limits, source);
}

/** Same sections and raw-ness → one FETCH for all those UIDs. */
function planKey(plan: FetchPlan): string {
  const sections = plan.sections.map((s) => (s.maxLength === undefined ? s.key : `${s.key}<${s.maxLength}>`));
  return `${plan.raw ? "raw|" : ""}${sections.join(",")}`;
}

/** Sections per `UID FETCH`, and characters of section specifiers per command line. */
export const MAX_SECTIONS_PER_COMMAND = 50;
const MAX_SECTION_CHARS = 2_000;

/** Splits sections so that no command line grows with the message's number of parts. */
export function chunkSections(
  sections: BodySection[],
  perCommand = MAX_SECTIONS_PER_COMMAND,
  maxChars = MAX_SECTION_CHARS,
): BodySection[][] {
  const chunks: BodySection[][] = [];
  let current: BodySection[] = [];
  let chars = 0;
  for (const s of sections) {
    // "BODY.PEEK[" + key + "]<0." + length + "> "
    const len = s.key.length + 18 + (s.maxLength === undefined ? 0 : String(s.maxLength).length);
    if (current.length && (current.length >= perCommand || chars + len > maxChars)) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(s);
    chars += len;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** How a fetch is shaped, and what it reports besides its result. */
export interface FetchOptions {
  /** Accumulates the message bytes received: header fields, body sections, raw source. */
  counter?: { bytes: number };
  /** A message was read from its capped source instead of its BODYSTRUCTURE, and why. */
  onFallback?: (uid: number, reason: string, parseError: string | null) => void;
  /** Sections per UID FETCH (default MAX_SECTIONS_PER_COMMAND). */
  sectionsPerCommand?: number;
  /** More planned sections than this: read the capped source instead (default SOURCE_FALLBACK_SECTIONS). */
  fallbackSections?: number;
}

/** Runs one streamed UID FETCH; failures carry the server's answer (see ImapCommandFailed). */
async function* fetchAll(
  client: ImapFlow,
  range: string,
  query: FetchQueryObject,
  what: string,
): AsyncGenerator<FetchMessageObject> {
  try {
    for await (const msg of client.fetch(range, query, { uid: true })) yield msg;
  } catch (err) {
    throw commandFailed(`UID FETCH ${range.length > 40 ? `${range.slice(0, 40)}…` : range} (${what})`, err);
  }
}

/**
 * Fetches and decodes `uids` from the folder the caller has already opened (mailboxOpen or a
 * mailbox lock), reading only what `needs` asks for:
 *
 * 1. one streamed `UID FETCH <set> (UID FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE
 *    BODY.PEEK[HEADER.FIELDS (…)])` for all UIDs (ENVELOPE is not fetched, see ALWAYS_HEADERS);
 * 2. the planned body sections, one `UID FETCH` per distinct set of sections (partial fetches
 *    `BODY.PEEK[1]<0.N>` where a part is larger than its cap), split into commands of at most
 *    MAX_SECTIONS_PER_COMMAND sections;
 * 3. for a message whose BODYSTRUCTURE is missing, names a multipart without parts, or needs more
 *    than SOURCE_FALLBACK_SECTIONS sections: its source, capped (`BODY.PEEK[]<0.cap>`), parsed
 *    with mailparser. No message is undeliverable because of its shape; `parsedFrom` says which.
 *
 * UIDs that no longer exist are absent from the result. The whole source is downloaded only
 * when `needs.raw`. Every fetch uses PEEK: reading never sets \Seen. A failed command throws
 * ImapCommandFailed with the server's text.
 */
export async function fetchMessages(
  client: ImapFlow,
  target: MessageTarget,
  uids: number[],
  needs: ContentNeeds,
  limits: FetchLimits,
  opts: FetchOptions = {},
): Promise<Map<number, MailMessage>> {
  const range = uidSet(uids);
  if (!range) return new Map();
  const wanted = new Set(uids);
  const count = (n: number) => {
    if (opts.counter) opts.counter.bytes += n;
  };
  const perCommand = opts.sectionsPerCommand ?? MAX_SECTIONS_PER_COMMAND;
  const maxChars = Number.isFinite(perCommand) ? MAX_SECTION_CHARS : Number.POSITIVE_INFINITY;

  const headerFields = planFetch(undefined, needs, limits).headers;
  const metaQuery: FetchQueryObject = {
    uid: true,
    flags: true,
    internalDate: true,
    size: true,
    bodyStructure: true,
    headers: headerFields === "all" ? true : headerFields,
  };
  const metas = new Map<number, { meta: FetchedMeta; plan: FetchPlan; fallback: string | null }>();
  for await (const msg of fetchAll(client, range, metaQuery, "metadata")) {
    if (!wanted.has(msg.uid)) continue;
    count(msg.headers?.length ?? 0);
    const plan = planFetch(msg.bodyStructure, needs, limits);
    metas.set(msg.uid, {
      meta: {
        uid: msg.uid,
        flags: [...(msg.flags ?? [])],
        internalDate: msg.internalDate,
        size: msg.size ?? 0,
        headers: msg.headers,
      },
      plan,
      fallback: fallbackReason(msg.bodyStructure, plan, opts.fallbackSections),
    });
  }

  const groups = new Map<string, { plan: FetchPlan; uids: number[] }>();
  for (const [uid, { plan, fallback }] of metas) {
    if (fallback || (!plan.sections.length && !plan.raw)) continue;
    const key = planKey(plan);
    const group = groups.get(key);
    if (group) group.uids.push(uid);
    else groups.set(key, { plan, uids: [uid] });
  }

  const built = new Map<number, MailMessage>();
  for (const { plan, uids: groupUids } of groups.values()) {
    const chunks = plan.sections.length ? chunkSections(plan.sections, perCommand, maxChars) : [[]];
    // With one command, each message is assembled as soon as its sections arrive, so the section
    // buffers of a batch are never all held at once (attachment content can be megabytes each).
    // With several, a message's sections are gathered over the commands first.
    const gathered = new Map<number, { parts: Map<string, Buffer>; source?: Buffer }>();
    for (const [i, chunk] of chunks.entries()) {
      const query: FetchQueryObject = { uid: true };
      if (chunk.length) query.bodyParts = chunk.map((s) => ({ ...s }));
      if (plan.raw && i === 0) query.source = true;
      for await (const msg of fetchAll(client, uidSet(groupUids), query, `${chunk.length} sections`)) {
        const entry = metas.get(msg.uid);
        if (!entry) continue;
        for (const part of msg.bodyParts?.values() ?? []) count(part.length);
        count(msg.source?.length ?? 0);
        if (chunks.length === 1) {
          built.set(msg.uid, build(target, entry, limits, msg.bodyParts, msg.source));
          continue;
        }
        const g = gathered.get(msg.uid) ?? { parts: new Map<string, Buffer>() };
        for (const [k, v] of msg.bodyParts ?? []) g.parts.set(k, v);
        if (msg.source) g.source = msg.source;
        gathered.set(msg.uid, g);
      }
    }
    for (const [uid, g] of gathered) {
      const entry = metas.get(uid);
      if (entry) built.set(uid, build(target, entry, limits, g.parts, g.source));
    }
  }

  // One at a time: each source may be up to the cap.
  for (const [uid, entry] of metas) {
    if (!entry.fallback) continue;
    const cap = sourceCap(needs, limits);
    const query: FetchQueryObject = {
      uid: true,
      source: entry.plan.raw ? true : { start: 0, maxLength: cap },
    };
    for await (const msg of fetchAll(client, String(uid), query, "source")) {
      if (msg.uid !== uid) continue;
      count(msg.source?.length ?? 0);
      const truncated = !entry.plan.raw && entry.meta.size > cap;
      const r = await buildFromSource(target, entry.meta, entry.plan, msg.source, truncated, needs, limits);
      opts.onFallback?.(uid, entry.fallback, r.error);
      built.set(uid, r.message);
    }
  }

  // In UID order, as the metadata FETCH answered. A message that planned sections but is missing
  // from their FETCH was expunged in between: absent, like any UID that no longer exists.
  const ordered = new Map<number, MailMessage>();
  for (const [uid, entry] of metas) {
    const planned = entry.fallback !== null || entry.plan.sections.length > 0 || entry.plan.raw;
    const message = planned ? built.get(uid) : build(target, entry, limits, undefined, undefined);
    if (message) ordered.set(uid, message);
  }
  return ordered;
}

/** One message; null when the UID no longer exists. Prefer fetchMessages for batches. */
export async function fetchMessage(
  client: ImapFlow,
  target: MessageTarget,
  uid: number,
  needs: ContentNeeds,
  limits: FetchLimits,
): Promise<MailMessage | null> {
  const messages = await fetchMessages(client, target, [uid], needs, limits);
  return messages.get(uid) ?? null;
}
