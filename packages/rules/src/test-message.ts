import { attachment, message } from "@mailhook/model/fixtures";
import type { Rule, RuleInput } from "./rule.js";
import { validateRules } from "./validate.js";

export { attachment, message };

/** Validates rule inputs and throws with the problems, so tests read as "given these rules". */
export function rules(...inputs: RuleInput[]): Rule[] {
  const r = validateRules(inputs);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.reason}`).join("\n"));
  return r.rules;
}

/** A one-action rule around a condition. */
export function ruleWhen(when: RuleInput["when"], extra: Partial<RuleInput> = {}): RuleInput {
  return { name: "test", when, actions: [{ type: "webhook", endpoint: "ep_1" }], ...extra };
}
