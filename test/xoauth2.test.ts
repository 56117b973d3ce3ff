import {
  makeMail,
  startDovecot,
  startReceiver,
  startRedis,
  type TestDovecot,
  type TestReceiver,
  type TestRedis,
} from "@mailhook/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointFor, mailboxFor, rules, Stack, waitUntil } from "./support/stack.js";

// An OAuth2 provider stand-in: Dovecot asks it (RFC 7662 introspection over real HTTP) whether a
// token is active and whose it is.
let introspection: TestReceiver;
let receiver: TestReceiver;
let redis: TestRedis;
let dovecot: TestDovecot;
const activeTokens = new Map<string, string>();

beforeAll(async () => {
  introspection = await startReceiver({
    handler: (req) => {
      const token = new URLSearchParams(req.body).get("token") ?? "";
      const user = activeTokens.get(token);
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(user ? { active: "true", username: user } : { active: "false" }),
      };
    },
  });
  [redis, receiver, dovecot] = await Promise.all([
    startRedis(),
    startReceiver(),
    startDovecot({ oauth2IntrospectionUrl: `${introspection.url}/introspect` }),
  ]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), receiver?.stop(), dovecot?.stop(), introspection?.stop()]);
});

describe("XOAUTH2 mailboxes", () => {
  it("are watched and fetched with the access token, and a revoked token shows as auth-failed", async () => {
    const user = await dovecot.createUser("oauth");
    activeTokens.set("at-good-1", user.user);
    const stack = new Stack({ redisUrl: redis.url });
    try {
      await stack.store.putMailbox(
        mailboxFor(dovecot, user, "oauth", { password: "at-good-1", authMethod: "xoauth2" }),
      );
      await stack.store.putEndpoint(endpointFor(`${receiver.url}/oauth`));
      await stack.store.putRules(
        "default",
        rules([{ id: "all", name: "All", actions: [{ type: "webhook", endpoint: "hook" }] }]),
      );
      await stack.start();
      await stack.waitForState("oauth", "INBOX", "connected");
      await dovecot.append(user.user, "INBOX", await makeMail({ subject: "via xoauth2", text: "hello" }));
      await waitUntil(() => receiver.requests.some((r) => r.path === "/oauth"), 15_000, "the webhook");
      const payload = JSON.parse(receiver.requests.find((r) => r.path === "/oauth")!.body) as {
        message: { subject: string; text: string };
      };
      expect(payload.message.subject).toBe("via xoauth2");
      expect(payload.message.text).toContain("hello");
      // Logins really went through the token check, not a password.
      expect(introspection.requests.some((r) => r.body.includes("at-good-1"))).toBe(true);

      // The token is revoked and the mailbox saved with a stale one: the watcher reports it.
      activeTokens.delete("at-good-1");
      const mbx = (await stack.store.getMailbox("default", "oauth"))!;
      await stack.store.putMailbox({ ...mbx, password: "at-revoked" });
      await stack.waitForState("oauth", "INBOX", "auth-failed");
      expect(stack.logs.text()).not.toContain("at-revoked");
      expect(stack.logs.text()).not.toContain("at-good-1");
    } finally {
      await stack.stop();
    }
  });
});
