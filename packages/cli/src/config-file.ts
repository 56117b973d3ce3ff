import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { UsageError } from "./io.js";

export const CliConfig = z.object({
  url: z.url({ protocol: /^https?$/ }),
  token: z.string().min(1),
});
export type CliConfig = z.infer<typeof CliConfig>;

/** ~/.config/mailhook/cli.json unless --config names another file. */
export function defaultConfigPath(): string {
  return join(homedir(), ".config", "mailhook", "cli.json");
}

/**
 * Saves URL and token readable by the owner only (0600): the token is a bearer credential. chmod
 * runs after the write too, so an existing file with looser bits is tightened.
 */
export async function saveConfig(path: string, config: CliConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function loadConfig(path: string): Promise<CliConfig | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const parsed = CliConfig.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new UsageError(`${path} is not a mailhook CLI config: run \`mailhook login\` again`);
  return parsed.data;
}
