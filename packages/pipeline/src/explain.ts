import { parseFullMessage } from "@mailhook/mime";
import { explainRules, type Rule, type RuleExplanation } from "@mailhook/rules";

export interface ExplainTarget {
  mailboxId: string;
  folder: string;
  flags?: string[];
  internalDate?: Date;
}

/**
 * Dry-run: parses a raw `.eml` and explains, per rule, whether it matches and what each condition
 * saw. The message is parsed whole here (it is already in hand); the fields rules see are the ones
 * the production partial fetch yields (see docs/fetch-planner.md for the documented differences).
 *
 * @example
 * const [first] = await explainRawMessage(rules, readFileSync("invoice.eml"), { mailboxId: "finance", folder: "INBOX" });
 * first.matched; // true
 */
export async function explainRawMessage(
  rules: Rule[],
  raw: Buffer,
  target: ExplainTarget,
): Promise<RuleExplanation[]> {
  const message = await parseFullMessage(raw, { ...target, uidValidity: 0, uid: 1 });
  return explainRules(rules, message);
}
