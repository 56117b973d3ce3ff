/**
 * How guessable a secret someone typed is. Not a proof of randomness: a cheap screen that refuses
 * what people write when asked for "a long token" (`aaaa…`, `abcd…`, a word repeated, a keyboard
 * walk) and accepts every generated token (32 random bytes as base64 or hex, a UUID pair).
 */
export interface TokenStrength {
  /** Estimated bits: length × the lower of the per-character entropies of characters and steps. */
  bits: number;
  /** Share of distinct 3-character windows: low for repeated patterns. */
  variety: number;
  ok: boolean;
}

const MIN_BITS = 96;
const MIN_VARIETY = 0.75;

function entropy(symbols: (string | number)[]): number {
  const counts = new Map<string | number, number>();
  for (const s of symbols) counts.set(s, (counts.get(s) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / symbols.length;
    h -= p * Math.log2(p);
  }
  return h;
}

export function tokenStrength(token: string): TokenStrength {
  const chars = [...token];
  if (chars.length < 3) return { bits: 0, variety: 0, ok: false };
  const codes = chars.map((c) => c.codePointAt(0) ?? 0);
  // Steps between neighbours: `abcdef…` or `13579…` have varied characters but one step.
  const steps = codes.slice(1).map((c, i) => c - (codes[i] ?? 0));
  const perChar = Math.min(entropy(chars), entropy(steps));
  const bits = Math.round(perChar * chars.length);
  const windows = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) windows.add(chars.slice(i, i + 3).join(""));
  const variety = windows.size / (chars.length - 2);
  return { bits, variety, ok: bits >= MIN_BITS && variety >= MIN_VARIETY };
}
