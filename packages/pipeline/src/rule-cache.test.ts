import { type CompiledRules, type Rule, validateRules } from "@mailhook/rules";
import { describe, expect, it } from "vitest";
import { createRuleCache, type RuleSource } from "./rule-cache.js";

function rules(subject: string): Rule[] {
  const r = validateRules([
    {
      id: "r1",
      name: "R1",
      when: { field: "subject", op: "matches", value: subject, flags: "i" },
      actions: [{ type: "webhook", endpoint: "e" }],
    },
  ]);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.rules;
}

/** An in-memory rule store that counts its reads and can hold them until released. */
function source(initial: Rule[]) {
  let current = { version: 1, rules: initial };
  const gates: (() => void)[] = [];
  let hold = false;
  const counts = { version: 0, list: 0 };
  const wait = () => (hold ? new Promise<void>((r) => gates.push(r)) : Promise.resolve());
  const store: RuleSource = {
    async rulesVersion() {
      counts.version++;
      const v = current.version;
      await wait();
      return v;
    },
    async listRules() {
      counts.list++;
      const r = current.rules;
      await wait();
      return r;
    },
  };
  return {
    store,
    counts,
    edit(next: Rule[]) {
      current = { version: current.version + 1, rules: next };
    },
    hold(on: boolean) {
      hold = on;
    },
    release() {
      for (const g of gates.splice(0)) g();
    },
  };
}

const subjectOf = (r: { compiled: CompiledRules }) => {
  const w = r.compiled.rules[0]?.rule.when as { value?: string } | undefined;
  return w?.value;
};

describe("createRuleCache", () => {
  it("compiles once for a burst of messages that ask at the same time", async () => {
    const s = source(rules("invoice"));
    const cache = createRuleCache(s.store);
    const got = await Promise.all(Array.from({ length: 64 }, () => cache.forFolder("t", "m", "INBOX")));
    expect(s.counts.list).toBe(1);
    expect(s.counts.version).toBe(1);
    // Every caller gets the same compiled object (the rule pool keys its threads' copies by it).
    expect(new Set(got.map((g) => g.compiled)).size).toBe(1);
  });

  it("reads the version again on every message at age 0 and recompiles only when it moved", async () => {
    const s = source(rules("invoice"));
    const cache = createRuleCache(s.store);
    await cache.forFolder("t", "m", "INBOX");
    await cache.forFolder("t", "m", "INBOX");
    expect(s.counts).toEqual({ version: 2, list: 1 });
    s.edit(rules("receipt"));
    expect(subjectOf(await cache.forFolder("t", "m", "INBOX"))).toBe("receipt");
    expect(s.counts.list).toBe(2);
  });

  it("after a change notice the next message loads anew, and a load begun before it is not kept", async () => {
    const s = source(rules("invoice"));
    const cache = createRuleCache(s.store, undefined, 60_000);
    s.hold(true);
    const early = cache.forFolder("t", "m", "INBOX");
    await new Promise((r) => setImmediate(r));
    s.edit(rules("receipt"));
    cache.forget("t");
    s.hold(false);
    const late = cache.forFolder("t", "m", "INBOX");
    const lateEntry = await late;
    expect(subjectOf(lateEntry)).toBe("receipt");
    // The early load (version 1) finishes last; it must not replace what was read after the notice.
    s.release();
    const earlyEntry = await early;
    expect(earlyEntry.compiled).not.toBe(lateEntry.compiled);
    expect((await cache.forFolder("t", "m", "INBOX")).compiled).toBe(lateEntry.compiled);
    expect(s.counts.list).toBe(2);
  });
});
