import { RE2JS } from "re2js";

/** Longest pattern accepted; longer ones are almost always pasted data, and cost compile time per rule. */
export const MAX_PATTERN_LENGTH = 1000;

const FLAG_BITS: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
};

export type RegexResult = { ok: true; re: RE2JS } | { ok: false; reason: string };

/**
 * Compiles a user pattern on re2js (linear time, no backtracking): user patterns never reach JS
 * RegExp. Case folds unless `caseSensitive`, like every other text comparison; an explicit "i"
 * flag folds regardless.
 */
export function compileRegex(pattern: string, flags = "", caseSensitive = false): RegexResult {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, reason: `pattern longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  let bits = caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE;
  for (const f of flags) {
    const bit = FLAG_BITS[f];
    if (bit === undefined) return { ok: false, reason: `unknown regex flag "${f}" (allowed: i, m, s)` };
    bits |= bit;
  }
  try {
    return { ok: true, re: RE2JS.compile(pattern.normalize("NFC"), bits) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `regex refused by re2: ${reason}` };
  }
}

/** The first capture group, or the group named `value`, or the whole match when there are no groups. */
export function extractFirst(re: RE2JS, values: readonly string[]): string | null {
  const named = re.namedGroups().value;
  const group = named ?? (re.groupCount() > 0 ? 1 : 0);
  for (const v of values) {
    const m = re.matcher(v);
    if (m.find()) return m.group(group);
  }
  return null;
}
