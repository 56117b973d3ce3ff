import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

// sbin dirs are often missing from a non-root PATH although the binaries are there.
const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/** Absolute path of an executable found on PATH (or an sbin dir), or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
