import type { Logger } from "@mailhook/log";
import type { MailMessage } from "@mailhook/model";
import type { RulePool } from "@mailhook/rule-pool";
import type { CompiledRules, RuleMatch } from "@mailhook/rules";
import type { RuleHealthStore } from "@mailhook/store";

/** Which message is evaluated (for the records of a rule that runs out of budget). */
export interface EvaluatedMessageRef {
  tenantId: string;
  mailboxId: string;
  folder: string;
  uid: number;
}

export type EvaluateMessage = (
  job: EvaluatedMessageRef,
  compiled: CompiledRules,
  message: MailMessage,
) => Promise<RuleMatch[]>;

/**
 * Rule evaluation for mail.process with the pool's time budget. A rule stopped at the budget counts
 * as not matching this message (the job completes; it is not retried for it), is recorded on the
 * rule (GET /v1/rules/{id} shows it, and it is suspended after RULES_BUDGET_STRIKES) and as a
 * `rule.budget-exceeded` event of the tenant.
 */
export function createBudgetedEvaluator(deps: {
  pool: RulePool;
  health: RuleHealthStore;
  log: Logger;
}): EvaluateMessage {
  return async (job, compiled, message) => {
    const { value, exceeded } = await deps.pool.evaluate(job.tenantId, compiled, message);
    for (const e of exceeded) {
      const { mailboxId, folder, uid } = job;
      const h = await deps.health.record(job.tenantId, { ...e, mailboxId, folder, uid });
      deps.log.warn(
        {
          tenantId: job.tenantId,
          ruleId: e.ruleId,
          mailboxId,
          uid,
          strikes: h.budgetExceeded,
          state: h.state,
        },
        "rule ran out of evaluation budget; message processed without it",
      );
    }
    return value;
  };
}
