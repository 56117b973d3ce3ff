/** Any character outside Latin-1; a string without one is already in NFC. */
const BEYOND_LATIN1 = /[\u0100-\uffff]/;

/**
 * Unicode NFC, skipping the work for Latin-1 text: no Latin-1 character changes under NFC and no
 * two of them compose, and normalising a few KB of body text costs more than all rules together.
 */
export function nfc(s: string): string {
  return BEYOND_LATIN1.test(s) ? s.normalize("NFC") : s;
}

/** Case folding of text that is already NFC: lower case, and long s (ſ) as s like re2 and Unicode folding. */
export function foldNfc(s: string): string {
  const lower = s.toLowerCase();
  return lower.includes("ſ") ? lower.replaceAll("ſ", "s") : lower;
}

/** Case folding for comparisons (rule values and message values alike). */
export function foldText(s: string): string {
  return foldNfc(nfc(s));
}
