import type { ContentNeeds, FetchLimits, MailMessage } from "@mailhook/model";
import type { MessageStructureObject as MessageStructure } from "imapflow";
import { buildMessage, type FetchedMeta, type MessageTarget } from "./build-message.js";
import { truncateUtf8 } from "./decode-body.js";
import type { FetchPlan } from "./fetch-planner.js";
import { parseFullMessage } from "./parse-full.js";

/**
 * Past this many planned body sections the message is read as one capped source instead: a FETCH
 * of thousands of sections is a command line servers refuse (Dovecot: "command line too large"),
 * and splitting it into dozens of commands costs more than one bounded download.
 */
export const SOURCE_FALLBACK_SECTIONS = 200;

/**
 * Bytes of the source fetched (`BODY.PEEK[]<0.cap>`) when the structure cannot be used: enough
 * for the capped text and HTML plus headroom for headers and the parts before them, and the
 * attachment cap when content is asked for. Bounded by the limits, never by the message.
 */
export function sourceCap(needs: ContentNeeds, limits: FetchLimits): number {
  const content = needs.attachments === "content" ? limits.attachmentBytes : 0;
  return limits.textBytes + limits.htmlBytes + content + 4 * 1024 * 1024;
}

/**
 * Why the BODYSTRUCTURE of a message cannot drive a partial fetch, or null when it can: missing
 * (imapflow drops one nested past its parser limit; a server may answer NIL), a multipart the
 * server found no parts in (a boundary it could not read, e.g. only RFC 2231 `boundary*=`), or too
 * many sections for a bounded command.
 */
export function fallbackReason(
  structure: MessageStructure | undefined,
  plan: FetchPlan,
  maxSections = SOURCE_FALLBACK_SECTIONS,
): string | null {
  if (!structure) return "no BODYSTRUCTURE (dropped at the client's nesting limit, or NIL from the server)";
  if (hasEmptyMultipart(structure, 0))
    return "a multipart the server found no parts in (its boundary never occurs, or is RFC 2231-encoded)";
  if (plan.sections.length > maxSections)
    return `${plan.sections.length} body sections (over ${maxSections})`;
  return null;
}

/**
 * A multipart the server could not split: no children, or (Dovecot) one synthetic empty text/plain
 * child, which is what it reports when the boundary never occurs or it did not read an RFC 2231
 * `boundary*=` parameter.
 */
function hasEmptyMultipart(node: MessageStructure, depth: number): boolean {
  if (depth > 200) return false;
  const children = node.childNodes ?? [];
  if ((node.type ?? "").toLowerCase().startsWith("multipart/")) {
    if (children.length === 0) return true;
    if (children.every((c) => !c.childNodes?.length && (c.size ?? 0) === 0)) return true;
  }
  return children.some((c) => hasEmptyMultipart(c, depth + 1));
}

/**
 * The MailMessage of one UID read from its (possibly capped) whole source with mailparser.
 * Header fields come from the metadata FETCH as on the planned path; text, html and attachments
 * from the parse, capped like the planned path. `truncated`: the source was cut at the cap, so
 * text is flagged truncated and no attachment gets content or a digest it might not fully have.
 * When mailparser refuses the source too, the message still goes out with `parsedFrom: "headers"`
 * and empty body fields; `error` says why.
 */
export async function buildFromSource(
  target: MessageTarget,
  meta: FetchedMeta,
  plan: FetchPlan,
  source: Buffer | undefined,
  truncated: boolean,
  needs: ContentNeeds,
  limits: FetchLimits,
): Promise<{ message: MailMessage; error: string | null }> {
  const bare: FetchPlan = {
    ...plan,
    text: [],
    html: [],
    attachments: [],
    attachmentContent: [],
    sections: [],
  };
  const base = buildMessage(target, meta, bare, new Map(), limits, plan.raw ? source : undefined);
  if (!source?.length) return { message: { ...base, parsedFrom: "headers" }, error: "the source is empty" };
  try {
    const full = await parseFullMessage(
      source,
      { ...target, uid: meta.uid },
      needs.attachments === "content" && !truncated ? { contentBytes: limits.attachmentBytes } : {},
    );
    const text = plan.wantText ? truncateUtf8(full.text ?? "", limits.textBytes) : null;
    const html = plan.wantHtml ? truncateUtf8(full.html ?? "", limits.htmlBytes) : null;
    // Metadata as the planned path gives it: a digest only together with the content.
    const attachments = full.attachments.map(({ sha256, content, ...a }) =>
      content !== undefined && sha256 !== undefined ? { ...a, sha256, content } : a,
    );
    return {
      message: {
        ...base,
        text: text ? text.text : null,
        textTruncated: text ? text.truncated || truncated : false,
        html: html ? html.text : null,
        htmlTruncated: html ? html.truncated || truncated : false,
        attachments,
        parsedFrom: "source",
      },
      error: null,
    };
  } catch (err) {
    return {
      message: { ...base, parsedFrom: "headers" },
      error: err instanceof Error ? err.message : String(err),
    };
  }
}
