import { makeMail, startTcpProxy, type TcpProxy } from "@mailhook/testing";
import { WebhookPayload } from "@mailhook/webhook";
import { afterAll, describe, expect, it } from "vitest";
import { endpointFor, mailboxFor, rules, sleep, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

// A silently dead IMAP socket (a TCP proxy that stops forwarding but keeps both sides open) under
// the worker's pooled connections: jobs resume within the per-command timeout, not the 2-minute
// operation bound, and a pooled session found dead by its NOOP probe is replaced without failing
// the job that wanted it.
const world = useWorld();
let proxy: TcpProxy | undefined;
afterAll(async () => {
  await proxy?.stop();
});

const COMMAND_TIMEOUT_MS = 15_000;
const OPERATION_TIMEOUT_MS = 120_000;

describe("worker IMAP sessions over a black-holed connection", () => {
  it("resume within the command timeout, and a dead idle session is probed and replaced", async () => {
    proxy = await startTcpProxy({ host: world.dovecot.host, port: world.dovecot.port });
    const stack = world.stack({
      imapCommandTimeoutMs: COMMAND_TIMEOUT_MS,
      imapOperationTimeoutMs: OPERATION_TIMEOUT_MS,
    });
    const user = await world.dovecot.createUser("blackhole");
    await stack.store.putMailbox(mailboxFor(world.dovecot, user, "bh", { port: proxy.port }));
    await stack.store.putEndpoint(endpointFor(`${world.receiver.url}/bh`));
    await stack.store.putRules(
      "default",
      rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
    );
    await stack.start();
    await stack.waitForState("bh", "INBOX", "connected");
    const hits = () =>
      world.receiver.requests
        .filter((r) => r.path === "/bh")
        .map((r) => WebhookPayload.parse(JSON.parse(r.body)).message.subject);
    const failedJobsFor = (uid: number) =>
      stack.logs
        .entries()
        .filter(
          (e) => e.msg === "job failed" && e.queue === "mail.process" && String(e.jobId).endsWith(`~${uid}`),
        );

    // Warm the pool: the worker now holds an idle session through the proxy.
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "one" }));
    await waitUntil(() => hits().includes("one"), 30_000, "first webhook");

    // 1. The pooled session dies silently while fresh (no probe): the job's command gets no answer,
    // the session is closed after the command timeout and the retried job runs on a new one.
    proxy.blackhole(true, { existingOnly: true });
    const t1 = Date.now();
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "two" }));
    await waitUntil(() => hits().includes("two"), OPERATION_TIMEOUT_MS, "second webhook");
    const resumedMs = Date.now() - t1;
    process.stdout.write(`black-holed session: job resumed after ${resumedMs} ms\n`);
    // Well inside the operation bound that used to be the only limit (2 minutes).
    expect(resumedMs).toBeLessThan(COMMAND_TIMEOUT_MS * 3);

    // 2. The session dies while idle past the probe threshold: the NOOP probe finds it dead and the
    // job gets a fresh session, so the job itself never fails.
    proxy.blackhole(true, { existingOnly: true });
    await sleep(6_000);
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "three" }));
    await waitUntil(() => hits().includes("three"), OPERATION_TIMEOUT_MS, "third webhook");
    expect(failedJobsFor(3)).toEqual([]);
    expect(
      stack.logs.entries().some((e) => e.msg === "pooled IMAP session did not answer NOOP; replacing it"),
    ).toBe(true);
    // Each message exactly once.
    expect(hits().sort()).toEqual(["one", "three", "two"]);
  }, 300_000);
});
