import type { MailMessage } from "@mailhook/model";
import { byPriority, compileRule, evalNode, extractAll, inScope, normaliseFolder } from "./compile.js";
import type { Leaf } from "./condition.js";
import type { FieldValue } from "./fields.js";
import type { Rule } from "./rule.js";
import type { Node } from "./tree.js";
import { MessageView } from "./view.js";

/** Longest value shown per seen value; bodies are cut, the rest rarely is. */
export const EXPLAIN_VALUE_CHARS = 200;
/** Most values shown per leaf (a message can have hundreds of recipients). */
export const EXPLAIN_MAX_VALUES = 20;

export type ConditionExplanation =
  | { kind: "all" | "any"; result: boolean; children: ConditionExplanation[] }
  | { kind: "not"; result: boolean; child: ConditionExplanation }
  | {
      kind: "leaf";
      result: boolean;
      field: string;
      op: Leaf["op"];
      value?: Leaf["value"];
      /** The field's values as compared (before case folding), each cut to EXPLAIN_VALUE_CHARS. */
      seen: string[];
      /** How many values the field had in total (seen may show fewer). */
      seenCount: number;
    };

export interface RuleExplanation {
  rule: { id: string; name: string; priority: number };
  /** Whether evaluateRules would return this rule for this message. */
  matched: boolean;
  /** Whether `when` alone is true (true when there is no `when`). */
  conditionsMatched: boolean;
  /**
   * Why a rule whose conditions matched still does not fire: disabled, out of scope, or stopped;
   * "budget": its evaluation ran out of time (see RULES_EVAL_BUDGET_MS) and was not finished.
   */
  skipped: null | "disabled" | "mailbox" | "folder" | "budget" | { stoppedBy: string };
  /** Mirrors `when`; null when the rule has none. Every branch is evaluated, none short-circuited. */
  condition: ConditionExplanation | null;
  extracted: Record<string, string | null>;
}

function show(v: FieldValue): string {
  if (typeof v === "string")
    return v.length > EXPLAIN_VALUE_CHARS ? `${v.slice(0, EXPLAIN_VALUE_CHARS)}…` : v;
  return String(v);
}

function explainNode(node: Node, view: MessageView): ConditionExplanation {
  switch (node.kind) {
    case "all":
    case "any": {
      const children = node.children.map((c) => explainNode(c, view));
      const result = node.kind === "all" ? children.every((c) => c.result) : children.some((c) => c.result);
      return { kind: node.kind, result, children };
    }
    case "not": {
      const child = explainNode(node.child, view);
      return { kind: "not", result: !child.result, child };
    }
    case "leaf": {
      const { leaf, spec } = node.leaf;
      const raw = view.values(spec, false);
      const seen = raw
        .slice(0, EXPLAIN_MAX_VALUES)
        .map((v) => (spec.kind === "date" && typeof v === "number" ? new Date(v).toISOString() : show(v)));
      const out: ConditionExplanation = {
        kind: "leaf",
        result: evalNode(node, view),
        field: leaf.field,
        op: leaf.op,
        seen,
        seenCount: raw.length,
      };
      if (leaf.value !== undefined) out.value = leaf.value;
      return out;
    }
  }
}

export interface ExplainOptions {
  now?: number;
  /** Longest text value evaluated (default DEFAULT_MAX_FIELD_CHARS). */
  maxFieldChars?: number;
  /** Called with each rule's index in priority order before it is evaluated. */
  onRule?: (index: number) => void;
  /** Rules already found to exceed the time budget: reported as skipped "budget", not evaluated. */
  overBudget?: ReadonlySet<string>;
}

/**
 * Dry-run: for each rule (in evaluation order), whether it would fire for this message and the
 * result of every condition with the values it saw. Built for the API's explain endpoint.
 *
 * @example
 * const message = await parseFullMessage(eml, { mailboxId, folder: "INBOX", uidValidity: 1, uid: 1 });
 * return explainRules(rules, message); // [{ rule, matched, skipped, condition: { kind: "all", … } }]
 */
export function explainRules(
  rules: Rule[],
  message: MailMessage,
  options: ExplainOptions = {},
): RuleExplanation[] {
  const view = new MessageView(message, options.now ?? Date.now(), 0, options.maxFieldChars);
  let stoppedBy: string | null = null;
  return [...rules].sort(byPriority).map((rule, i) => {
    const head = { id: rule.id, name: rule.name, priority: rule.priority };
    if (options.overBudget?.has(rule.id)) {
      const skipped = "budget" as const;
      return {
        rule: head,
        matched: false,
        conditionsMatched: false,
        skipped,
        condition: null,
        extracted: {},
      };
    }
    options.onRule?.(i);
    const c = compileRule(rule);
    const condition = c.when ? explainNode(c.when, view) : null;
    const conditionsMatched = condition ? condition.result : true;
    let skipped: RuleExplanation["skipped"] = null;
    if (!rule.enabled) skipped = "disabled";
    else if (c.mailboxes && !c.mailboxes.has(message.mailboxId)) skipped = "mailbox";
    else if (!inScope(c, message.mailboxId, normaliseFolder(message.folder))) skipped = "folder";
    else if (stoppedBy !== null) skipped = { stoppedBy };
    const matched = conditionsMatched && skipped === null;
    if (matched && rule.stop) stoppedBy = rule.id;
    return {
      rule: head,
      matched,
      conditionsMatched,
      skipped,
      condition,
      extracted: matched ? extractAll(c, view) : {},
    };
  });
}
