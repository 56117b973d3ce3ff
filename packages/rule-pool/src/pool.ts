import { Worker } from "node:worker_threads";
import type { MailMessage } from "@mailhook/model";
import {
  byPriority,
  type CompiledRules,
  DEFAULT_MAX_FIELD_CHARS,
  evaluateRules,
  RegexAllowanceExceeded,
  type Rule,
  type RuleExplanation,
  type RuleMatch,
} from "@mailhook/rules";
import type { ThreadData, ThreadReply, ThreadTask } from "./protocol.js";
import { needsThread } from "./regex-free.js";

export interface RulePoolOptions {
  /** Evaluation threads (default 1). Each runs one message at a time. */
  threads?: number;
  /** Most threads one tenant's messages hold at once (default threads − 1, at least 1). */
  perTenant?: number;
  /**
   * Most wall time one rule may run on one message (default 1,000 ms). A message's rules take at
   * most (rules in scope) × budget, and a rule that overruns is dropped from the message at once.
   */
  budgetMs?: number;
  /** Longest text value evaluated (default the worker's 256 KB text cap). */
  maxFieldChars?: number;
  /**
   * Regex work (program size × characters, summed over one message's regex runs) evaluated on the
   * caller's event loop before a message goes to a thread (default DEFAULT_INLINE_REGEX_STEPS);
   * 0 sends every rule set with a regex to a thread.
   */
  inlineRegexSteps?: number;
}

/**
 * re2js costs at most ~90 ns per step on this project's benchmark machine (its NFA on
 * `a.{100}b$`, docs/benchmarks.md), so 50,000 steps hold the event loop ≤ ~5 ms in the worst
 * case; below 262,144 steps per run re2js takes its bounded backtracker, ~1 ns per step, which is
 * where a subject or header regex of typical mail lands.
 */
export const DEFAULT_INLINE_REGEX_STEPS = 50_000;

/** A rule whose evaluation on one message was stopped at the time budget. */
export interface BudgetExceeded {
  ruleId: string;
  budgetMs: number;
}

export interface PoolResult<T> {
  value: T;
  /** Rules stopped at the budget: they count as not matching, the others were evaluated in full. */
  exceeded: BudgetExceeded[];
}

export interface RulePool {
  /** evaluateRules with a time budget; rule sets without regexes run inline (their cost is bounded). */
  evaluate(tenantId: string, compiled: CompiledRules, message: MailMessage): Promise<PoolResult<RuleMatch[]>>;
  /** Messages evaluated so far on the caller's event loop and in threads (evaluate only). */
  counts(): { inline: number; threaded: number };
  /** explainRules with a time budget, always off the event loop (a dry run's rules are unsaved). */
  explain(tenantId: string, rules: Rule[], message: MailMessage): Promise<PoolResult<RuleExplanation[]>>;
  close(): Promise<void>;
}

type Outcome = { kind: "done"; reply: ThreadReply } | { kind: "timeout"; index: number };

interface Job {
  tenantId: string;
  task: Omit<ThreadTask, "id" | "rules">;
  rules: Rule[];
  settle: (o: Outcome | Error) => void;
}

interface Thread {
  worker: Worker;
  progress: Int32Array;
  startedAt: Float64Array;
  ready: boolean;
  busy: boolean;
  known: Set<string>;
  /** Tenant whose overrun this thread replaces: charged one thread until this one is ready. */
  owedBy: string | null;
}

/** However slow the machine, a task is stopped after this many budgets. */
const HARD_LIMIT_FACTOR = 10;

const here = import.meta.url;
const ts = here.endsWith(".ts");
// Bundled: the CommonJS thread.cjs beside the service bundle, loaded with its code cache.
const ENTRY = new URL(ts ? "./thread.ts" : "./thread.cjs", here).href;
const BOOT = new URL("./thread-boot.mjs", here);

/**
 * Rule evaluation with a hard time budget. A linear-time regex can still cost seconds on 256 KB
 * (`a.{25}b$` about 0.6 s on re2js, and no engine measured is fast on every pattern, see
 * docs/benchmarks.md), so rules with regexes run in worker threads: when one rule has run for
 * longer than the budget the thread is terminated, the rule it was running is reported as over
 * budget, and the others are evaluated again without it. Tenants share the threads by the time
 * they used (and one holds at most all threads but one), so one tenant's slow rules delay its own
 * messages, not another tenant's.
 *
 * @example
 * const pool = createRulePool({ threads: 1, budgetMs: 1000 });
 * const { value: matches, exceeded } = await pool.evaluate(tenantId, compiled, message);
 */
export function createRulePool(options: RulePoolOptions = {}): RulePool {
  const size = Math.max(1, options.threads ?? 1);
  const budgetMs = options.budgetMs ?? 1000;
  const maxFieldChars = options.maxFieldChars ?? DEFAULT_MAX_FIELD_CHARS;
  const inlineSteps = Math.max(0, options.inlineRegexSteps ?? DEFAULT_INLINE_REGEX_STEPS);
  const counts = { inline: 0, threaded: 0 };
  const threads: Thread[] = [];
  const queues = new Map<string, Job[]>();
  // Fair share by thread time: each tenant's virtual time grows by the time its jobs held a thread;
  // the waiting tenant with the least goes first, and a tenant just arriving starts at the
  // current minimum (no credit saved up while idle). A tenant also holds at most perTenant threads,
  // so one tenant's slow rules always leave a thread to the others.
  const vtime = new Map<string, number>();
  const busy = new Map<string, number>();
  const perTenant = Math.max(1, options.perTenant ?? size - 1);
  const keys = new WeakMap<object, string>();
  let nextKey = 0;
  let nextId = 0;
  let closed = false;
  // Threads keep the process alive only while a caller waits for them.
  let waiting = 0;
  const setRef = () => {
    for (const t of [...threads, ...(spare ? [spare] : [])]) {
      if (waiting > 0) t.worker.ref();
      else t.worker.unref();
    }
  };

  const keyOf = (o: object): string => {
    let k = keys.get(o);
    if (!k) {
      k = `r${nextKey++}`;
      keys.set(o, k);
    }
    return k;
  };

  function spawn(): Thread {
    const progress = new SharedArrayBuffer(4);
    const startedAt = new SharedArrayBuffer(8);
    const data: ThreadData = { progress, startedAt, entry: ENTRY, tsx: ts };
    const worker = new Worker(BOOT, { workerData: data, execArgv: [] });
    const t: Thread = {
      worker,
      progress: new Int32Array(progress),
      startedAt: new Float64Array(startedAt),
      ready: false,
      busy: false,
      known: new Set(),
      owedBy: null,
    };
    worker.on("message", (m: ThreadReply) => {
      if ("ready" in m) {
        t.ready = true;
        if (t.owedBy !== null) release(t.owedBy);
        t.owedBy = null;
        dispatch();
      }
    });
    if (waiting === 0) worker.unref();
    return t;
  }

  // A thread takes a second or more to start under load: a warm spare takes over at once.
  let spare: Thread | null = null;
  function replace(t: Thread, overrunBy: string | null = null): void {
    void t.worker.terminate();
    const i = threads.indexOf(t);
    if (i < 0 || closed) return;
    const next = spare ?? spawn();
    threads[i] = next;
    spare = spawn();
    // Overruns faster than threads start would leave the other tenants without a ready thread:
    // the tenant that caused the replacement holds the slot until its new thread is up.
    if (overrunBy !== null && !next.ready) {
      next.owedBy = overrunBy;
      busy.set(overrunBy, (busy.get(overrunBy) ?? 0) + 1);
    }
  }

  function release(tenantId: string): void {
    const left = (busy.get(tenantId) ?? 1) - 1;
    if (left > 0) busy.set(tenantId, left);
    else busy.delete(tenantId);
  }

  function nextJob(): Job | undefined {
    let best: string | null = null;
    for (const tenant of queues.keys()) {
      if ((busy.get(tenant) ?? 0) >= perTenant) continue;
      if (best === null || (vtime.get(tenant) ?? 0) < (vtime.get(best) ?? 0)) best = tenant;
    }
    if (best === null) return undefined;
    const q = queues.get(best) as Job[];
    const job = q.shift() as Job;
    if (q.length === 0) queues.delete(best);
    return job;
  }

  function minVtime(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const tenant of new Set([...queues.keys(), ...busy.keys()]))
      min = Math.min(min, vtime.get(tenant) ?? 0);
    return Number.isFinite(min) ? min : Math.max(0, ...vtime.values());
  }

  function dispatch(): void {
    for (const t of threads) {
      if (!t.ready || t.busy) continue;
      const job = nextJob();
      if (!job) return;
      start(t, job);
    }
  }

  function start(t: Thread, job: Job): void {
    t.busy = true;
    busy.set(job.tenantId, (busy.get(job.tenantId) ?? 0) + 1);
    const began = performance.now();
    const id = nextId++;
    const sendRules = !t.known.has(job.task.key);
    Atomics.store(t.progress, 0, 0);
    let done = false;
    const finish = (o: Outcome | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      t.worker.off("message", onMessage);
      t.worker.off("error", onError);
      t.worker.off("exit", onExit);
      t.busy = false;
      release(job.tenantId);
      vtime.set(job.tenantId, (vtime.get(job.tenantId) ?? 0) + performance.now() - began);
      job.settle(o);
      dispatch();
    };
    const onMessage = (m: ThreadReply) => {
      if (!("id" in m) || m.id !== id) return;
      // The thread holds the list only once a task with it succeeded: after an error it may not
      // (its compile threw), and every later task of the key would fail with "not known".
      if (m.ok) t.known.add(job.task.key);
      else t.known.delete(job.task.key);
      finish({ kind: "done", reply: m });
    };
    const onError = (err: Error) => {
      replace(t);
      finish(err);
    };
    const onExit = () => {
      replace(t);
      finish(new Error("rule thread exited"));
    };
    // A rule is blamed only once it has itself run for the whole budget: on a loaded machine a
    // thread may wait for a core, and a cheap rule must never be cut short for another's cost.
    const posted = performance.now();
    let timer: NodeJS.Timeout;
    const check = () => {
      const index = Atomics.load(t.progress, 0) - 1;
      const ran = performance.timeOrigin + performance.now() - (t.startedAt[0] ?? 0);
      const waited = performance.now() - posted;
      if ((index < 0 || ran < budgetMs) && waited < HARD_LIMIT_FACTOR * budgetMs) {
        timer = setTimeout(check, index < 0 ? budgetMs : budgetMs - ran + 1);
        return;
      }
      t.worker.off("exit", onExit);
      replace(t, job.tenantId);
      finish({ kind: "timeout", index });
    };
    timer = setTimeout(check, budgetMs);
    t.worker.on("message", onMessage);
    t.worker.on("error", onError);
    t.worker.on("exit", onExit);
    const task: ThreadTask = { ...job.task, id, ...(sendRules ? { rules: job.rules } : {}) };
    try {
      t.worker.postMessage(task);
    } catch (err) {
      // Not sent (a value that cannot be cloned): the thread stays free and knows nothing new.
      finish(err instanceof Error ? err : new Error(String(err)));
    }
  }

  function submit(tenantId: string, job: Omit<Job, "settle" | "tenantId">): Promise<Outcome> {
    if (closed) return Promise.reject(new Error("rule pool is closed"));
    ensureThreads();
    waiting++;
    setRef();
    return new Promise((resolve, reject) => {
      const q = queues.get(tenantId);
      const full: Job = {
        ...job,
        tenantId,
        settle: (o) => {
          waiting--;
          setRef();
          if (o instanceof Error) reject(o);
          else resolve(o);
        },
      };
      if (q) q.push(full);
      else {
        if (!busy.has(tenantId)) vtime.set(tenantId, Math.max(vtime.get(tenantId) ?? 0, minVtime()));
        queues.set(tenantId, [full]);
      }
      dispatch();
    });
  }

  /** Runs a task until it finishes, dropping the rule that ran out of budget each time it does. */
  async function budgeted(
    tenantId: string,
    kind: ThreadTask["kind"],
    key: string,
    rules: Rule[],
    message: MailMessage,
  ): Promise<{ reply: ThreadReply; exceeded: BudgetExceeded[] }> {
    const skip: string[] = [];
    const exceeded: BudgetExceeded[] = [];
    const now = Date.now();
    for (;;) {
      const task = { kind, key, message, skip: [...skip], maxFieldChars, now };
      const o = await submit(tenantId, { task, rules });
      if (o.kind === "done") return { reply: o.reply, exceeded };
      // Before any rule started (compiling took the budget), the first rule not yet dropped is blamed.
      const rule = rules[o.index] ?? rules.find((r) => !skip.includes(r.id));
      if (!rule || skip.includes(rule.id)) throw new Error("rule evaluation ran out of budget");
      skip.push(rule.id);
      exceeded.push({ ruleId: rule.id, budgetMs });
    }
  }

  // Threads start with the first rule set that needs one: most processes never evaluate a regex.
  function ensureThreads(): void {
    if (threads.length > 0) return;
    for (let i = 0; i < size; i++) threads.push(spawn());
    spare = spawn();
  }

  return {
    async evaluate(tenantId, compiled, message) {
      if (!needsThread(compiled)) {
        counts.inline++;
        return { value: evaluateRules(compiled, message, { maxFieldChars }), exceeded: [] };
      }
      if (inlineSteps > 0) {
        try {
          const value = evaluateRules(compiled, message, { maxFieldChars, regexSteps: inlineSteps });
          counts.inline++;
          return { value, exceeded: [] };
        } catch (err) {
          // Nothing of the partial evaluation is kept: the thread evaluates the message afresh.
          if (!(err instanceof RegexAllowanceExceeded)) throw err;
        }
      }
      counts.threaded++;
      const rules = compiled.rules.map((c) => c.rule);
      const { reply, exceeded } = await budgeted(tenantId, "evaluate", keyOf(compiled), rules, message);
      if (!("matches" in reply)) throw threadError(reply);
      const byId = new Map(rules.map((r) => [r.id, r]));
      const value = reply.matches.map((m) => ({ rule: byId.get(m.ruleId) as Rule, extracted: m.extracted }));
      return { value, exceeded };
    },
    async explain(tenantId, rules, message) {
      const sorted = [...rules].sort(byPriority);
      const { reply, exceeded } = await budgeted(tenantId, "explain", keyOf(sorted), sorted, message);
      if (!("explained" in reply)) throw threadError(reply);
      return { value: reply.explained, exceeded };
    },
    counts: () => ({ ...counts }),
    async close() {
      closed = true;
      for (const [, q] of queues) for (const j of q) j.settle(new Error("rule pool is closed"));
      queues.clear();
      await Promise.all([...threads, ...(spare ? [spare] : [])].map((t) => t.worker.terminate()));
    },
  };
}

function threadError(reply: ThreadReply): Error {
  return new Error("error" in reply ? reply.error : "unexpected reply from a rule thread");
}
