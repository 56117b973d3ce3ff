/**
 * What the rules and webhooks of one folder need from a message beyond the envelope, flags, size,
 * internal date and BODYSTRUCTURE (which are always fetched: they are cheap and give attachment
 * metadata for free). The fetch planner turns this into a minimal list of IMAP body sections.
 */
export interface ContentNeeds {
  /** Extra header fields to fetch (lower-case names), or "all" for the whole header block. */
  headers: "all" | string[];
  /** Decoded body text: text/plain, or the HTML part converted to text when there is no plain part. */
  text: boolean;
  /** The HTML part as is. */
  html: boolean;
  /** "content" downloads attachment bytes (under a cap); "metadata" needs only BODYSTRUCTURE. */
  attachments: "none" | "metadata" | "content";
  /** The whole raw source. Only when a rule asks for it explicitly. */
  raw: boolean;
}

/** Byte caps applied while fetching; each cap is on decoded content and sets a *Truncated flag. */
export interface FetchLimits {
  textBytes: number;
  htmlBytes: number;
  attachmentBytes: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = {
  textBytes: 256 * 1024,
  htmlBytes: 1024 * 1024,
  attachmentBytes: 10 * 1024 * 1024,
};

export const NO_NEEDS: ContentNeeds = {
  headers: [],
  text: false,
  html: false,
  attachments: "none",
  raw: false,
};

const attachmentRank = { none: 0, metadata: 1, content: 2 } as const;

/** The union of two needs: everything either side asks for. */
export function mergeNeeds(a: ContentNeeds, b: ContentNeeds): ContentNeeds {
  const headers: ContentNeeds["headers"] =
    a.headers === "all" || b.headers === "all"
      ? "all"
      : [...new Set([...a.headers, ...b.headers].map((h) => h.toLowerCase()))].sort();
  return {
    headers,
    text: a.text || b.text,
    html: a.html || b.html,
    attachments:
      attachmentRank[a.attachments] >= attachmentRank[b.attachments] ? a.attachments : b.attachments,
    raw: a.raw || b.raw,
  };
}
