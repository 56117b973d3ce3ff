import { LEGACY_RENAMES } from "./keys.js";
import { isCluster, type RedisClient } from "./redis-client.js";

/** Bumped when key names change; stored at `{prefix}:layout` once a Redis holds the current names. */
const LAYOUT_VERSION = "2";

/**
 * Renames keys of the layout before hash tags to the current names, once per Redis. Only a single
 * Redis can hold the old layout (it never ran on Cluster). RENAMENX makes concurrent starts of
 * several services safe: one of them moves each key, the others find it gone.
 */
export async function migrateKeyLayout(redis: RedisClient, prefix: string): Promise<number> {
  const marker = `${prefix}:layout`;
  if (isCluster(redis) || (await redis.get(marker)) === LAYOUT_VERSION) return 0;
  let moved = 0;
  for (const [kind, rename] of Object.entries(LEGACY_RENAMES)) {
    const head = `${prefix}:${kind}:`;
    let cursor = "0";
    do {
      const [next, found] = await redis.scan(cursor, "MATCH", `${globEscape(head)}*`, "COUNT", 1000);
      cursor = next;
      for (const old of found) {
        const rest = old.slice(head.length);
        const to = rest.startsWith("{") ? null : rename(rest);
        if (to === null) continue;
        moved += await redis.renamenx(old, head + to).catch(() => 0);
      }
    } while (cursor !== "0");
  }
  await redis.set(marker, LAYOUT_VERSION);
  return moved;
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
