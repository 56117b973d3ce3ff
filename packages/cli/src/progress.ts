/** One progress line: `[########------------]  40%  2/5 processed, 0 failed`. */
export function progressLine(p: { total: number; processed: number; failed: number }, width = 24): string {
  const done = p.processed + p.failed;
  const ratio = p.total === 0 ? 1 : Math.min(1, done / p.total);
  const filled = Math.round(ratio * width);
  const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${pct}  ${p.processed}/${p.total} processed, ${p.failed} failed`;
}
