import type { ContentNeeds, FetchLimits, MailMessage } from "@mailhook/model";
import type { FetchMessageObject, FetchQueryObject, ImapFlow } from "imapflow";
import { buildMessage, type FetchedMeta, type MessageTarget } from "./build-message.js";
import { type FetchPlan, planFetch } from "./fetch-planner.js";

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
  body: FetchMessageObject | undefined,
): MailMessage {
  return buildMessage(target, meta, plan, body?.bodyParts ?? new Map(), limits, body?.source);
}

/** Same sections and raw-ness → one FETCH for all those UIDs. */
function planKey(plan: FetchPlan): string {
  const sections = plan.sections.map((s) => (s.maxLength === undefined ? s.key : `${s.key}<${s.maxLength}>`));
  return `${plan.raw ? "raw|" : ""}${sections.join(",")}`;
}

/**
 * Fetches and decodes `uids` from the folder the caller has already opened (mailboxOpen or a
 * mailbox lock), reading only what `needs` asks for:
 *
 * 1. one streamed `UID FETCH <set> (UID FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE
 *    BODY.PEEK[HEADER.FIELDS (…)])` for all UIDs (ENVELOPE is not fetched, see ALWAYS_HEADERS);
 * 2. the planned body sections, one `UID FETCH` per distinct set of sections (partial fetches
 *    `BODY.PEEK[1]<0.N>` where a part is larger than its cap).
 *
 * UIDs that no longer exist are absent from the result. The whole source is downloaded only
 * when `needs.raw`. Every fetch uses PEEK: reading never sets \Seen.
 */
export async function fetchMessages(
  client: ImapFlow,
  target: MessageTarget,
  uids: number[],
  needs: ContentNeeds,
  limits: FetchLimits,
  /** Accumulates the message bytes received: header fields, body sections, raw source. */
  counter?: { bytes: number },
): Promise<Map<number, MailMessage>> {
  const range = uidSet(uids);
  if (!range) return new Map();
  const wanted = new Set(uids);

  const headerFields = planFetch(undefined, needs, limits).headers;
  const metaQuery: FetchQueryObject = {
    uid: true,
    flags: true,
    internalDate: true,
    size: true,
    bodyStructure: true,
    headers: headerFields === "all" ? true : headerFields,
  };
  const metas = new Map<number, { meta: FetchedMeta; plan: FetchPlan }>();
  for await (const msg of client.fetch(range, metaQuery, { uid: true })) {
    if (!wanted.has(msg.uid)) continue;
    if (counter) counter.bytes += msg.headers?.length ?? 0;
    metas.set(msg.uid, {
      meta: {
        uid: msg.uid,
        flags: [...(msg.flags ?? [])],
        internalDate: msg.internalDate,
        size: msg.size ?? 0,
        headers: msg.headers,
      },
      plan: planFetch(msg.bodyStructure, needs, limits),
    });
  }

  const groups = new Map<string, { plan: FetchPlan; uids: number[] }>();
  for (const [uid, { plan }] of metas) {
    if (!plan.sections.length && !plan.raw) continue;
    const key = planKey(plan);
    const group = groups.get(key);
    if (group) group.uids.push(uid);
    else groups.set(key, { plan, uids: [uid] });
  }

  const built = new Map<number, MailMessage>();
  // Each message is assembled as soon as its sections arrive, so the raw section buffers of a
  // batch are never all held at once (attachment content can be megabytes per message).
  for (const { plan, uids: groupUids } of groups.values()) {
    const query: FetchQueryObject = { uid: true };
    if (plan.sections.length) query.bodyParts = plan.sections.map((s) => ({ ...s }));
    if (plan.raw) query.source = true;
    for await (const msg of client.fetch(uidSet(groupUids), query, { uid: true })) {
      const entry = metas.get(msg.uid);
      if (!entry) continue;
      if (counter) {
        for (const part of msg.bodyParts?.values() ?? []) counter.bytes += part.length;
        counter.bytes += msg.source?.length ?? 0;
      }
      built.set(msg.uid, build(target, entry, limits, msg));
    }
  }
  // In UID order, as the metadata FETCH answered. A message that planned sections but is missing
  // from their FETCH was expunged in between: absent, like any UID that no longer exists.
  const ordered = new Map<number, MailMessage>();
  for (const [uid, entry] of metas) {
    const planned = entry.plan.sections.length > 0 || entry.plan.raw;
    const message = planned ? built.get(uid) : build(target, entry, limits, undefined);
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
