import { validateRules } from "@mailhook/rules";
import { createRuleHealth } from "@mailhook/store";
import { makeMail } from "@mailhook/testing";
import { describe, expect, it } from "vitest";
import { endpointFor, mailboxFor, rules, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const world = useWorld();

// A tenant whose rule costs about a second per message (a.{400}a.{400}b$ over 200 KB, stored
// before the save-time cap or with it raised) next to a tenant with an ordinary rule, on one
// worker. The cost is 5× the budget on a fast machine (~1.1 s against 200 ms; the a.{100} variant
// took 0.28 s there and never reached a 500 ms budget), and more on a slower one.
const HOSTILE = "a.{400}a.{400}b$";
const BUDGET_MS = 200;
let seed = 3;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
// Ends in "x": the pattern never matches, and re2js scans all of it with ~200 live threads.
const hostileText = `${Array.from({ length: 200 * 1024 }, () => (rnd() < 0.5 ? "a" : "b")).join("")}x`;

describe("a hostile tenant's rule", () => {
  it("is stopped at the budget, reported, suspended; its other rule and the other tenant's mail keep flowing", async () => {
    const stack = world.stack({ ruleBudget: { budgetMs: BUDGET_MS, threads: 1, strikes: 2 } });
    const evil = await world.dovecot.createUser("evil");
    const good = await world.dovecot.createUser("good");
    await stack.store.putMailbox(mailboxFor(world.dovecot, evil, "evilbox", { tenantId: "evil" }));
    await stack.store.putMailbox(mailboxFor(world.dovecot, good, "goodbox"));
    await stack.store.putEndpoint({ ...endpointFor(`${world.receiver.url}/evil`), tenantId: "evil" });
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/good`));
    const hostile = validateRules(
      [
        {
          id: "hostile",
          name: "hostile",
          priority: 1,
          when: { field: "text", op: "matches", value: HOSTILE },
          actions: [{ type: "webhook", endpoint: "hook" }],
        },
        {
          id: "plain",
          name: "plain",
          priority: 2,
          when: { field: "subject", op: "matches", value: "^hello" },
          actions: [{ type: "webhook", endpoint: "hook" }],
        },
      ],
      { limits: { maxRepeat: 1000 } },
    );
    if (!hostile.ok) throw new Error(JSON.stringify(hostile.problems));
    await stack.store.putRules("evil", hostile.rules);
    await stack.store.putRules(
      "default",
      rules([
        {
          id: "invoices",
          name: "invoices",
          when: { field: "subject", op: "matches", value: "invoice\\s+\\d+" },
          actions: [{ type: "webhook", endpoint: "hook" }],
        },
      ]),
    );
    await stack.start();
    const connected = async (tenant: string, id: string) =>
      (await stack.store.getFolderStatuses(tenant, id)).INBOX?.state === "connected";
    await waitUntil(() => connected("evil", "evilbox"), 30_000, "evil mailbox connected");
    await waitUntil(() => connected("default", "goodbox"), 30_000, "good mailbox connected");

    for (let i = 1; i <= 3; i++) {
      await world.dovecot.append(
        evil.user,
        "INBOX",
        await makeMail({
          from: "x@evil.example",
          to: "a@example.test",
          subject: `hello ${i}`,
          text: hostileText,
        }),
      );
      await world.dovecot.append(
        good.user,
        "INBOX",
        await makeMail({
          from: "b@vendor.example",
          to: "b@example.test",
          subject: `invoice ${i}`,
          text: "due",
        }),
      );
    }
    const hits = (path: string) => world.receiver.requests.filter((r) => r.path === path);
    await waitUntil(() => hits("/good").length >= 3, 60_000, "tenant B's three deliveries");
    await waitUntil(() => hits("/evil").length >= 3, 60_000, "tenant A's plain rule on all three");
    const ruleOf = (r: { body: string }) => (JSON.parse(r.body) as { rule: { id: string } }).rule.id;
    expect(hits("/good").map(ruleOf)).toEqual(["invoices", "invoices", "invoices"]);
    expect(hits("/evil").map(ruleOf)).toEqual(["plain", "plain", "plain"]);

    const health = createRuleHealth(stack.store, { strikes: 2 });
    const h = await health.get("evil", "hostile");
    // Two budget overruns suspend it (a third may land first when the three UIDs share one job).
    expect(h?.state).toBe("suspended");
    expect(h?.budgetExceeded).toBeGreaterThanOrEqual(2);
    expect(h?.lastError).toMatch(
      new RegExp(`evaluation stopped after ${BUDGET_MS} ms on evilbox/INBOX uid \\d`),
    );
    expect(await health.get("default", "invoices")).toBeNull();
    const events = await stack.store.listEvents("evil");
    const overruns = events.filter((e) => e.type === "rule.budget-exceeded");
    expect(overruns).toHaveLength(h?.budgetExceeded ?? -1);
    expect(new Set(overruns.map((e) => e.detail.ruleId))).toEqual(new Set(["hostile"]));
  }, 120_000);
});
