import type { MailMessage } from "@mailhook/model";
import type { Rule, RuleExplanation } from "@mailhook/rules";

/** One evaluation sent to a thread. `rules` is omitted when the thread already holds `key`. */
export interface ThreadTask {
  id: number;
  kind: "evaluate" | "explain";
  /** Identifies one rule list; the thread keeps the compiled rules under it. */
  key: string;
  rules?: Rule[];
  message: MailMessage;
  /** Rule ids not to evaluate (they already ran out of budget on this message). */
  skip: string[];
  maxFieldChars: number;
  now: number;
}

export type ThreadReply =
  | { ready: true }
  | { id: number; ok: true; matches: { ruleId: string; extracted: Record<string, string | null> }[] }
  | { id: number; ok: true; explained: RuleExplanation[] }
  | { id: number; ok: false; error: string };

export interface ThreadData {
  /** Int32Array(1): 1 + the index (in the task's rule list) of the rule being evaluated, 0 = none. */
  progress: SharedArrayBuffer;
  /** Float64Array(1): when (epoch ms) the rule in `progress` started. */
  startedAt: SharedArrayBuffer;
  entry: string;
  tsx: boolean;
  /** For the build only: write or check the V8 code cache of a bundled thread.cjs (thread-boot.mjs). */
  codeCache?: "write" | "check";
}
