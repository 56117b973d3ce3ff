/** `--name value` and `--flag` from the command line; scenarios take counts this way. */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function numberOption(name: string, fallback: number): number {
  const v = Number(option(name));
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export const flag = (name: string): boolean => process.argv.includes(`--${name}`);
