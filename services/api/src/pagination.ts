import { z } from "@hono/zod-openapi";

export { PageQuery, pageOf } from "@mailhook/api-schema";

import { validationFailed } from "./errors.js";

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

/** Decodes a cursor or answers 400 (cursors are opaque: anything not made by us is invalid). */
export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, schema: T): z.infer<T> | null {
  if (cursor === undefined) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    if (parsed.success) return parsed.data;
  } catch {
    // falls through to the 400
  }
  throw validationFailed([{ path: "query.cursor", reason: "not a cursor from this API" }]);
}

const IdCursor = z.object({ after: z.string() });

/**
 * Pages a list sorted by id: the cursor is the last id returned, so pages stay stable while
 * resources are created or deleted between requests.
 */
export function pageById<T extends { id: string }>(
  items: T[],
  query: { limit: number; cursor?: string | undefined },
): { data: T[]; nextCursor: string | null } {
  const after = decodeCursor(query.cursor, IdCursor)?.after;
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((x) => x.id > after);
  const data = rest.slice(0, query.limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rest.length > query.limit && last ? encodeCursor({ after: last.id }) : null };
}
