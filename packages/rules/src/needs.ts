import { type ContentNeeds, mergeNeeds, NO_NEEDS } from "@mailhook/model";
import type { Action } from "./action.js";
import { type Condition, isAll, isAny, isNot } from "./condition.js";
import { parseField } from "./fields.js";
import type { Rule } from "./rule.js";

function fieldNeeds(field: string): ContentNeeds {
  const spec = parseField(field);
  return spec ? { ...NO_NEEDS, ...spec.needs } : NO_NEEDS;
}

function conditionNeeds(c: Condition): ContentNeeds {
  if (isAll(c)) return c.all.map(conditionNeeds).reduce(mergeNeeds, NO_NEEDS);
  if (isAny(c)) return c.any.map(conditionNeeds).reduce(mergeNeeds, NO_NEEDS);
  if (isNot(c)) return conditionNeeds(c.not);
  return fieldNeeds(c.field);
}

function actionNeeds(a: Action): ContentNeeds {
  if (a.type !== "webhook") return NO_NEEDS;
  const inc = a.include;
  return {
    headers: inc.headers ? "all" : [],
    text: inc.text,
    html: inc.html,
    attachments: inc.attachments,
    raw: inc.raw,
  };
}

/**
 * The least a message must be fetched with so these rules can be evaluated and their webhooks
 * built: the fetch planner turns it into IMAP body sections. Envelope fields (from, to, subject,
 * date, message-id, in-reply-to), flags, size, internal date and BODYSTRUCTURE are always fetched,
 * so conditions on them add nothing. Disabled rules add nothing either.
 *
 * @example
 * needsOf([{ ...rule, when: { field: "header:x-foo", op: "exists" } }]).headers // ["x-foo"]
 */
export function needsOf(rules: Rule[]): ContentNeeds {
  let needs = NO_NEEDS;
  for (const rule of rules) {
    if (!rule.enabled) continue;
    if (rule.when) needs = mergeNeeds(needs, conditionNeeds(rule.when));
    for (const x of Object.values(rule.extract ?? {})) needs = mergeNeeds(needs, fieldNeeds(x.field));
    for (const a of rule.actions) needs = mergeNeeds(needs, actionNeeds(a));
  }
  return needs;
}
