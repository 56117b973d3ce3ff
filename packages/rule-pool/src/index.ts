export type { BudgetExceeded, PoolResult, RulePool, RulePoolOptions } from "./pool.js";
export { createRulePool } from "./pool.js";
