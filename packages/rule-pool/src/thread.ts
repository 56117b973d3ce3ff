import { parentPort, workerData } from "node:worker_threads";
import { type CompiledRules, compileRules, evaluateRules, explainRules, type Rule } from "@mailhook/rules";
import type { ThreadData, ThreadReply, ThreadTask } from "./protocol.js";

/** Compiled rule lists kept per key; a few hundred tenants' lists fit, the oldest is dropped first. */
const MAX_CACHED = 256;

const data = workerData as ThreadData;
const progress = new Int32Array(data.progress);
const startedAt = new Float64Array(data.startedAt);
/** Marks rule `i` (of the task's list) as the one running, and since when. */
const mark = (i: number) => {
  startedAt[0] = performance.timeOrigin + performance.now();
  Atomics.store(progress, 0, i + 1);
};
const cache = new Map<string, { rules: Rule[]; compiled: CompiledRules }>();
const port = parentPort;

function rulesOf(task: ThreadTask): { rules: Rule[]; compiled: CompiledRules } {
  let entry = cache.get(task.key);
  if (!entry) {
    if (!task.rules) throw new Error(`rule list ${task.key} is not known to this thread`);
    entry = { rules: task.rules, compiled: compileRules(task.rules) };
    cache.set(task.key, entry);
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  }
  return entry;
}

function run(task: ThreadTask): ThreadReply {
  const { rules, compiled } = rulesOf(task);
  const skip = new Set(task.skip);
  if (task.kind === "explain") {
    const explained = explainRules(rules, task.message, {
      now: task.now,
      maxFieldChars: task.maxFieldChars,
      overBudget: skip,
      onRule: mark,
    });
    return { id: task.id, ok: true, explained };
  }
  // Indices reported are those of compiled.rules (priority order), which the pool mirrors.
  const index: number[] = [];
  const kept = compiled.rules.filter((c, i) => (skip.has(c.rule.id) ? false : index.push(i) > 0));
  const matches = evaluateRules({ rules: kept, slots: compiled.slots }, task.message, {
    now: task.now,
    maxFieldChars: task.maxFieldChars,
    onRule: (i) => mark(index[i] ?? 0),
  });
  return {
    id: task.id,
    ok: true,
    matches: matches.map((m) => ({ ruleId: m.rule.id, extracted: m.extracted })),
  };
}

port?.on("message", (task: ThreadTask) => {
  let reply: ThreadReply;
  try {
    reply = run(task);
  } catch (err) {
    reply = { id: task.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  Atomics.store(progress, 0, 0);
  port.postMessage(reply);
});
port?.postMessage({ ready: true } satisfies ThreadReply);
