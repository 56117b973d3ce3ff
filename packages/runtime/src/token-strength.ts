/**
 * How guessable a secret someone typed is. Not a proof of randomness: a cheap screen that refuses
 * what people write when asked for "a long token" (`aaaa…`, `abcd…`, a word repeated, a keyboard
 * walk) and accepts every generated token (32 random bytes as base64 or hex, a UUID pair).
 */
export interface TokenStrength {
  /** Bits the token could hold at most: length × bits per character of its alphabet (hex, base64, …). */
  bits: number;
  /** Why it was refused, or null. */
  problem: string | null;
  ok: boolean;
}

const MIN_BITS = 96;

function entropy(symbols: (string | number)[]): { bits: number; distinct: number } {
  const counts = new Map<string | number, number>();
  for (const s of symbols) counts.set(s, (counts.get(s) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / symbols.length;
    h -= p * Math.log2(p);
  }
  return { bits: h, distinct: counts.size };
}

export function tokenStrength(token: string): TokenStrength {
  const chars = [...token];
  const perChar = /^[0-9a-f]+$/i.test(token) ? 4 : /^[0-9]+$/.test(token) ? Math.log2(10) : 6;
  const bits = Math.round(chars.length * perChar);
  const refuse = (problem: string): TokenStrength => ({ bits, problem, ok: false });
  if (bits < MIN_BITS) return refuse("too short for its alphabet");
  const c = entropy(chars);
  if (c.distinct < 8) return refuse("too few different characters");
  // Evenness: random text uses its characters about equally often; `aaaaaaab…` does not.
  if (c.bits / Math.log2(c.distinct) < 0.75) return refuse("a few characters repeated");
  // Steps between neighbours: `abcdef…` or `13579…` have varied characters but one step.
  const codes = chars.map((ch) => ch.codePointAt(0) ?? 0);
  if (entropy(codes.slice(1).map((x, i) => x - (codes[i] ?? 0))).bits < 2.5) return refuse("a sequence");
  // Repetition: a word or pattern repeated has few distinct 3-character windows.
  const windows = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) windows.add(chars.slice(i, i + 3).join(""));
  if (windows.size / (chars.length - 2) < 0.75) return refuse("a pattern repeated");
  return { bits, problem: null, ok: true };
}
