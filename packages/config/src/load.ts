import { readFile } from "node:fs/promises";
import { ConfigError } from "./config-error.js";
import type { Env } from "./interpolate.js";
import { type LoadedConfig, parseConfig } from "./parse.js";

/**
 * Reads and validates a mailhook.yaml. The services call this once at start with the path from their
 * env and `process.env`; the result seeds the store (resources marked `managed: "file"`).
 */
export async function loadConfigFile(path: string, env: Env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "file not found"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "is a directory, expected a YAML file"
            : `cannot be read (${code ?? "unknown error"})`;
    throw new ConfigError([{ file: path, path: "(file)", reason }]);
  }
  return parseConfig(text, path, env);
}
