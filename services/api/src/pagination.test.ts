import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, PageQuery, pageById } from "./pagination.js";

const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `id-${String(i).padStart(3, "0")}` }));

describe("pageById", () => {
  it("walks every item exactly once, in id order, whatever the page size", () => {
    for (const limit of [1, 2, 3, 7, 50]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = pageById(items(10).reverse(), { limit, cursor });
        seen.push(...page.data.map((x) => x.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(items(10).map((x) => x.id));
    }
  });

  it("the last page has no cursor; an empty list neither", () => {
    expect(pageById(items(2), { limit: 2 }).nextCursor).toBeNull();
    expect(pageById([], { limit: 5 })).toEqual({ data: [], nextCursor: null });
  });

  it("a page stays stable when the item after the cursor is deleted meanwhile", () => {
    const first = pageById(items(6), { limit: 2 });
    const remaining = items(6).filter((x) => x.id !== "id-002");
    const second = pageById(remaining, { limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.data.map((x) => x.id)).toEqual(["id-003", "id-004"]);
  });

  it("refuses cursors it did not make with a 400 at query.cursor", () => {
    for (const bad of ["garbage", encodeCursor({ nope: 1 }), encodeCursor("x"), "%%%"]) {
      expect(() => pageById(items(3), { limit: 2, cursor: bad })).toThrowError(
        expect.objectContaining({
          status: 400,
          code: "VALIDATION_FAILED",
          details: [{ path: "query.cursor", reason: expect.any(String) }],
        }),
      );
    }
  });
});

describe("cursors and page queries", () => {
  it("round-trips any JSON value", () => {
    const v = { score: 1.5, id: "msg_ü/…" };
    expect(decodeCursor(encodeCursor(v), z.object({ score: z.number(), id: z.string() }))).toEqual(v);
  });

  it("limit is 1-200, default 50, coerced from the query string", () => {
    expect(PageQuery.parse({})).toEqual({ limit: 50 });
    expect(PageQuery.parse({ limit: "7" }).limit).toBe(7);
    for (const bad of ["0", "201", "-1", "1.5", "x"])
      expect(PageQuery.safeParse({ limit: bad }).success).toBe(false);
  });
});
