// Unknown keys are usually typos; naming the key that was meant saves a trip to the docs.

const KNOWN_KEYS = [
  "version",
  "tenant",
  "mailboxes",
  "endpoints",
  "rules",
  "id",
  "address",
  "host",
  "port",
  "tls",
  "tlsVerify",
  "user",
  "password",
  "folders",
  "start",
  "since",
  "enabled",
  "url",
  "secret",
  "headers",
];

/** ` (did you mean "password"?)` for a near miss of a known key, else an empty string. */
export function suggest(key: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of KNOWN_KEYS) {
    const d = distance(key.toLowerCase(), known.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best === undefined ? "" : ` (did you mean "${best}"?)`;
}

/** Levenshtein distance; keys are short, so the quadratic table is fine. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
