import type { MailMessage } from "@mailhook/model";
import type { RE2JS } from "re2js";
import { type FieldSpec, parseField } from "./fields.js";
import type { CompiledLeaf } from "./leaf.js";
import type { Prefilter } from "./prefilter.js";
import { compileRegex, extractFirst } from "./regex.js";
import type { Rule } from "./rule.js";
import { nfc } from "./text.js";
import { buildTree, type Node, type Problem } from "./tree.js";
import { MessageView } from "./view.js";

export interface CompiledExtract {
  name: string;
  spec: FieldSpec;
  re: RE2JS;
  prefilter: Prefilter | null;
}

export interface CompiledRule {
  rule: Rule;
  /** null = no `when`: matches every message in scope. */
  when: Node | null;
  extract: CompiledExtract[];
  mailboxes: ReadonlySet<string> | null;
  folders: ReadonlySet<string> | null;
}

/** Rules ready to evaluate, sorted by priority then id; build once, reuse for every message. */
export interface CompiledRules {
  readonly rules: readonly CompiledRule[];
  /** Number of distinct leaves: identical conditions in several rules are evaluated once per message. */
  readonly slots: number;
}

export interface EvaluateOptions {
  /** Reference time for relative dates ("-7d"), in epoch ms. Defaults to Date.now(). */
  now?: number;
  /** Longest text value evaluated (default DEFAULT_MAX_FIELD_CHARS); longer values are cut. */
  maxFieldChars?: number;
  /** Called with each rule's index in `compiled.rules` before it is evaluated (the rule pool's watchdog). */
  onRule?: (index: number) => void;
  /**
   * Most regex work (program size × characters, summed over the regex runs that happen) this
   * evaluation may do; the run that would go past it throws RegexAllowanceExceeded before it
   * starts. Unset: unmetered (inside the rule pool's threads, where the time budget bounds it).
   */
  regexSteps?: number;
}

export interface RuleMatch {
  rule: Rule;
  /** Extract name → first capture (or group `value`) of the first matching value, else null. */
  extracted: Record<string, string | null>;
}

/** RFC 3501: INBOX is case-insensitive, every other name is case-sensitive. */
export function normaliseFolder(folder: string): string {
  return folder.toUpperCase() === "INBOX" ? "INBOX" : nfc(folder);
}

export function byPriority(a: Rule, b: Rule): number {
  return a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Compiles one validated rule; throws with every problem if it was not validated. */
export function compileRule(rule: Rule, intern?: (leaf: CompiledLeaf) => CompiledLeaf): CompiledRule {
  const problems: Problem[] = [];
  const when = rule.when === undefined ? null : buildTree(rule.when, "when", problems, Infinity, 1, intern);
  const extract: CompiledExtract[] = [];
  for (const [name, x] of Object.entries(rule.extract ?? {})) {
    const spec = parseField(x.field);
    const re = compileRegex(x.pattern, x.flags ?? "", x.caseSensitive === true);
    if (spec && re.ok) extract.push({ name, spec, re: re.re, prefilter: re.prefilter });
    else
      problems.push({
        path: `extract.${name}`,
        reason: spec ? (re.ok ? "" : re.reason) : `unknown field "${x.field}"`,
      });
  }
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path}: ${p.reason}`).join("; ");
    throw new Error(`rule ${rule.id} is invalid (run validateRules first): ${list}`);
  }
  return {
    rule,
    when,
    extract,
    mailboxes: rule.mailboxes ? new Set(rule.mailboxes) : null,
    folders: rule.folders ? new Set(rule.folders.map(normaliseFolder)) : null,
  };
}

/**
 * Precompiles every rule (regexes included) once.
 * @example
 * const compiled = compileRules(validated.rules);
 * const matches = evaluateRules(rulesFor(compiled, mailboxId, "INBOX"), message);
 */
export function compileRules(rules: Rule[]): CompiledRules {
  const leaves = new Map<string, CompiledLeaf>();
  const intern = (leaf: CompiledLeaf): CompiledLeaf => {
    const { spec, leaf: l } = leaf;
    const key = JSON.stringify([spec.key, l.op, l.value, l.flags ?? "", l.caseSensitive === true]);
    const known = leaves.get(key);
    if (known) return known;
    const slotted = { ...leaf, slot: leaves.size };
    leaves.set(key, slotted);
    return slotted;
  };
  const compiled = [...rules].sort(byPriority).map((r) => compileRule(r, intern));
  return { rules: compiled, slots: leaves.size };
}

/** `folder` must come through normaliseFolder (callers do it once, not once per rule). */
export function inScope(c: CompiledRule, mailboxId: string, folder: string): boolean {
  return (
    (c.mailboxes === null || c.mailboxes.has(mailboxId)) && (c.folders === null || c.folders.has(folder))
  );
}

/**
 * The enabled rules that apply to one folder of one mailbox (what the fetch planner and worker use).
 * @example
 * const inbox = rulesFor(compiled, "mbx_1", "INBOX");
 * const needs = needsOf(inbox.rules.map((c) => c.rule));
 */
export function rulesFor(compiled: CompiledRules, mailboxId: string, folder: string): CompiledRules {
  return {
    rules: compiled.rules.filter((c) => c.rule.enabled && inScope(c, mailboxId, normaliseFolder(folder))),
    slots: compiled.slots,
  };
}

export function evalNode(node: Node, view: MessageView): boolean {
  switch (node.kind) {
    case "all":
      for (const c of node.children) if (!evalNode(c, view)) return false;
      return true;
    case "any":
      for (const c of node.children) if (evalNode(c, view)) return true;
      return false;
    case "not":
      return !evalNode(node.child, view);
    case "leaf": {
      const l = node.leaf;
      if (l.slot >= 0) {
        const known = view.memo[l.slot];
        if (known) return known === 2;
      }
      const result = l.test(
        view.values(l.spec, l.fold),
        view.now,
        l.wantsFolded ? view.values(l.spec, true) : null,
        view.meter,
      );
      if (l.slot >= 0) view.memo[l.slot] = result ? 2 : 1;
      return result;
    }
  }
}

export function extractAll(c: CompiledRule, view: MessageView): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const x of c.extract) {
    const folded = x.prefilter ? (view.values(x.spec, true) as string[]) : null;
    out[x.name] = extractFirst(x.re, view.values(x.spec, false) as string[], x.prefilter, folded, view.meter);
  }
  return out;
}

/**
 * The rules that match a message, in priority order. Disabled rules and rules scoped to other
 * mailboxes or folders never match, even when `compiled` was not narrowed with rulesFor; a
 * matching rule with `stop` ends the list.
 *
 * @example
 * for (const { rule, extracted } of evaluateRules(compiled, message)) enqueueActions(rule, extracted);
 */
export function evaluateRules(
  compiled: CompiledRules,
  message: MailMessage,
  options: EvaluateOptions = {},
): RuleMatch[] {
  const meter = options.regexSteps === undefined ? null : { left: options.regexSteps };
  const view = new MessageView(
    message,
    options.now ?? Date.now(),
    compiled.slots,
    options.maxFieldChars,
    meter,
  );
  const folder = normaliseFolder(message.folder);
  const matches: RuleMatch[] = [];
  for (const [i, c] of compiled.rules.entries()) {
    if (!c.rule.enabled || !inScope(c, message.mailboxId, folder)) continue;
    options.onRule?.(i);
    if (c.when !== null && !evalNode(c.when, view)) continue;
    matches.push({ rule: c.rule, extracted: extractAll(c, view) });
    if (c.rule.stop) break;
  }
  return matches;
}
