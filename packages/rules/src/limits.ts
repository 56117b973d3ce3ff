import { MAX_CONDITION_DEPTH } from "./tree.js";

/**
 * What one rule may cost. Every tenant is a possible attacker, so the size of what a rule makes the
 * worker do is bounded when the rule is saved; what is left (a linear-time regex can still cost
 * seconds on 256 KB) is bounded at evaluation time by the rule pool's time budget.
 */
export interface RuleLimits {
  /** Deepest all/any/not nesting (a leaf at the top of `when` is depth 1). */
  maxDepth: number;
  /** Conditions per rule: every leaf and every all/any/not group counts one. */
  maxConditions: number;
  /** Largest repetition width of one pattern (see repeatWidth in cost.ts). */
  maxRepeat: number;
}

export const DEFAULT_RULE_LIMITS: RuleLimits = {
  maxDepth: MAX_CONDITION_DEPTH,
  maxConditions: 100,
  maxRepeat: 100,
};

/**
 * Characters of one text value a rule sees (subject, body, one header…): the worker's text cap
 * (FETCH_TEXT_MAX_BYTES), so a dry run on a posted message costs what the worker would pay.
 */
export const DEFAULT_MAX_FIELD_CHARS = 256 * 1024;
