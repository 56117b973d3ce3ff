import type { RedisClient as Redis } from "@mailhook/store";

/** Every key of the Redis (all prefixes, BullMQ's included) with its value in readable form. */
export async function readAll(redis: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of found) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === "string") value = await redis.get(key);
      else if (type === "hash") value = await redis.hgetall(key);
      else if (type === "set") value = (await redis.smembers(key)).sort();
      else if (type === "zset") value = await redis.zrange(key, 0, -1, "WITHSCORES");
      else if (type === "list") value = await redis.lrange(key, 0, -1);
      else if (type === "stream") value = await redis.xrange(key, "-", "+");
      else if (type === "none") continue;
      else value = `<${type}>`;
      out.set(key, typeof value === "string" ? value : JSON.stringify(value));
    }
  } while (cursor !== "0");
  return out;
}

/** Every key's DUMP serialization (what `DUMP` would hand a thief), as latin1 text to grep. */
export async function dumpAll(redis: Redis, keys: Iterable<string>): Promise<string> {
  const parts: string[] = [];
  for (const key of keys) {
    const d = await redis.dumpBuffer(key);
    if (d) parts.push(d.toString("latin1"));
  }
  return parts.join("\n");
}

/**
 * The forms a secret could be recovered from: itself, hex and base64 of it, and the part of its
 * base64 that stays the same at any byte offset inside a longer base64 text (a login blob, a JSON
 * value encoded whole).
 */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const forms = new Set([secret, bytes.toString("hex"), bytes.toString("hex").toUpperCase()]);
  for (const pad of [0, 1, 2]) {
    const b64 = Buffer.concat([Buffer.alloc(pad), bytes]).toString("base64");
    // Skip the characters touched by the padding bytes and by the unknown bytes after the secret.
    const inner = b64.slice(pad === 0 ? 0 : 4, b64.length - 4);
    if (inner.length >= 12) {
      forms.add(inner);
      forms.add(inner.replaceAll("+", "-").replaceAll("/", "_"));
    }
  }
  return [...forms];
}

/** Where any form of any secret occurs in the named haystacks ("" when nowhere). */
export function findSecrets(secrets: Record<string, string>, haystacks: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const form of secretForms(secret)) {
      for (const [where, text] of Object.entries(haystacks)) {
        if (text.includes(form)) found.push(`${name} (as ${JSON.stringify(form)}) in ${where}`);
      }
    }
  }
  return found;
}
