import { z } from "@hono/zod-openapi";

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: "Page size (1-200)" }),
  cursor: z
    .string()
    .max(500)
    .optional()
    .openapi({ description: "Opaque cursor from the previous page's nextCursor" }),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** A list response: one page and the cursor of the next, null on the last page. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

/** One page of a list response, as a client sees it. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
