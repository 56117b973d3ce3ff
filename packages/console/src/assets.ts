import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

export interface ConsoleAsset {
  body: Uint8Array;
  contentType: string;
}

/**
 * One built file of the console by its name, or null. Only names made of letters, digits, '-', '_'
 * and one extension are served, so no request can walk out of the directory.
 */
export async function readConsoleAsset(dir: string, name: string): Promise<ConsoleAsset | null> {
  if (!/^[A-Za-z0-9_-]+\.[a-z]+$/.test(name)) return null;
  const contentType = TYPES[extname(name)];
  if (!contentType) return null;
  try {
    return { body: await readFile(join(dir, name)), contentType };
  } catch {
    return null;
  }
}
