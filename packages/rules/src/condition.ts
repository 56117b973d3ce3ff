import { z } from "zod";

export const OPS = [
  "equals",
  "contains",
  "startsWith",
  "endsWith",
  "matches",
  "in",
  "exists",
  "gt",
  "lt",
  "gte",
  "lte",
] as const;
export const Op = z.enum(OPS);
export type Op = z.infer<typeof Op>;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One comparison of a message field with a value. Semantics per field/op are checked by validateRules. */
export const Leaf = z.strictObject({
  field: z.string().min(1),
  op: Op,
  /** Omitted only for `exists` (where `false` means "does not exist"). An array only for `in`. */
  value: z.union([Scalar, z.array(z.union([z.string(), z.number()]))]).optional(),
  /** Regex flags for `matches`: any of "i", "m", "s". */
  flags: z.string().optional(),
  /** Text comparisons fold case unless this is true. */
  caseSensitive: z.boolean().optional(),
});
export type Leaf = z.infer<typeof Leaf>;

export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | Leaf;

/**
 * The recursive condition tree. The structural schema here is what the OpenAPI document shows;
 * validateRules walks `when` itself too, to give one precise problem per mistake instead of a
 * union error listing every branch.
 */
export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(Condition).min(1) }),
    z.strictObject({ any: z.array(Condition).min(1) }),
    z.strictObject({ not: Condition }),
    Leaf,
  ]),
);

export function isAll(c: Condition): c is { all: Condition[] } {
  return "all" in c;
}
export function isAny(c: Condition): c is { any: Condition[] } {
  return "any" in c;
}
export function isNot(c: Condition): c is { not: Condition } {
  return "not" in c;
}
