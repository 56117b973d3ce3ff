export type { BudgetExceeded, PoolResult, RulePool, RulePoolOptions } from "./pool.js";
export { createRulePool, DEFAULT_INLINE_REGEX_STEPS } from "./pool.js";
