import { makeMail, startTcpProxy } from "@mailhook/testing";
import { describe, expect, it } from "vitest";
import { endpointFor, mailboxFor, rules, type Stack, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

// Its own Dovecot: this file kills it.
const world = useWorld();

const subjectsAt = (path: string) =>
  world.receiver.requests
    .filter((r) => r.path === path)
    .map((r) => (JSON.parse(r.body) as { message: { subject: string } }).message.subject);

async function stackWith(
  path: string,
  port: number,
): Promise<{ stack: Stack; user: { user: string; pass: string } }> {
  const stack = world.stack();
  const user = await world.dovecot.createUser("res");
  await stack.store.putMailbox(mailboxFor(world.dovecot, user, "res", { port }));
  await stack.store.putEndpoint(endpointFor(`${world.receiver.url}${path}`));
  await stack.store.putRules(
    "default",
    rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
  );
  await stack.start();
  await stack.waitForState("res", "INBOX", "connected");
  return { stack, user };
}

describe("connection failures", () => {
  it("survives Dovecot being killed and restarted: mail sent during and after the outage is delivered", async () => {
    const { stack, user } = await stackWith("/restart", world.dovecot.port);
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "before" }));
    await waitUntil(() => subjectsAt("/restart").length === 1, 15_000, "first webhook");

    await world.dovecot.kill();
    await stack.waitForState("res", "INBOX", "error");
    await world.dovecot.start();
    // Mail that lands right after the restart, possibly before the watcher is back, is caught up.
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "right after restart" }));
    await stack.waitForState("res", "INBOX", "connected");
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "after reconnect" }));
    await waitUntil(() => subjectsAt("/restart").length >= 3, 20_000, "webhooks after restart");
    expect(subjectsAt("/restart")).toEqual(["before", "right after restart", "after reconnect"]);
  });

  it("replaces a silently dead connection (probe unanswered) and delivers the mail that arrived meanwhile", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: world.dovecot.port });
    try {
      const { stack, user } = await stackWith("/dead", proxy.port);
      // Every open connection goes silent: no RST, no FIN, nothing. New ones work.
      proxy.blackhole(true, { existingOnly: true });
      await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "while the line was dead" }));
      await waitUntil(
        () => stack.logs.entries().some((e) => e.msg === "STATUS probe failed; replacing connection"),
        15_000,
        "dead connection detected",
      );
      await waitUntil(() => subjectsAt("/dead").length >= 1, 20_000, "webhook after reconnect");
      expect(subjectsAt("/dead")).toEqual(["while the line was dead"]);
    } finally {
      await proxy.stop();
    }
  });
});
