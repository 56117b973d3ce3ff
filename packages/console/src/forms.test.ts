import type { MailboxView } from "@mailhook/api-schema";
import { validateRules } from "@mailhook/rules";
import { describe, expect, it } from "vitest";
import { ACTION_TYPES, flagList, newAction, parseFlagList, withKey } from "./action-model.js";
import { createBody, fieldsOf, updateBody } from "./mailbox-fields.js";

const saved: MailboxView = {
  id: "mbx_1",
  address: "support@acme.test",
  host: "imap.acme.test",
  port: 993,
  tls: "implicit",
  tlsVerify: true,
  auth: { type: "password", user: "support" },
  folders: ["INBOX", "Sales"],
  start: "new",
  enabled: true,
  managed: "api",
  updatedAt: "2026-12-01T00:00:00Z",
};

describe("the mailbox form", () => {
  it("an untouched form changes nothing; only edited fields are sent", () => {
    expect(updateBody(saved, fieldsOf(saved))).toEqual({});
    const f = { ...fieldsOf(saved), address: "desk@acme.test", folders: "INBOX, Sales, Archive" };
    expect(updateBody(saved, f)).toEqual({
      address: "desk@acme.test",
      folders: ["INBOX", "Sales", "Archive"],
    });
    expect(updateBody(saved, { ...fieldsOf(saved), tls: "none", port: "143" })).toEqual({
      port: 143,
      tls: "none",
      tlsVerify: false,
    });
  });

  it("an empty password keeps the stored one; a new user needs the password with it", () => {
    expect(updateBody(saved, { ...fieldsOf(saved), password: "s3cret" })).toEqual({
      auth: { type: "password", user: "support", password: "s3cret" },
    });
    expect(() => updateBody(saved, { ...fieldsOf(saved), user: "desk" })).toThrow(
      /password to change the user/,
    );
    // OAuth2 logins are never rewritten into a password login here.
    const oauth: MailboxView = {
      ...saved,
      auth: {
        type: "oauth2",
        user: "support",
        tokenEndpoint: null,
        clientId: null,
        scope: null,
        hasRefreshToken: true,
        accessTokenExpiresAt: null,
      },
    };
    expect(updateBody(oauth, { ...fieldsOf(oauth), user: "x", password: "y" })).toEqual({});
  });

  it("a new mailbox logs in as its address when no user is given", () => {
    const body = createBody({ ...fieldsOf(saved), user: "", password: "pw" });
    expect(body.auth).toEqual({ type: "password", user: "support@acme.test", password: "pw" });
    expect(body).toMatchObject({ port: 993, tls: "implicit", tlsVerify: true, folders: ["INBOX", "Sales"] });
  });
});

describe("the action editor's model", () => {
  it("every new action of every type is valid in the rule language once its blanks are filled", () => {
    const fill = (t: string) => {
      const a = newAction(t);
      if (t === "webhook") return { ...a, endpoint: "ep_1" };
      if (t === "move" || t === "copy") return { ...a, to: "Archive" };
      return a;
    };
    // One rule per type (a rule moves or deletes a message at most once), each beside a webhook.
    const rules = ACTION_TYPES.map((t) => ({ name: t, actions: [fill("webhook"), fill(t)] }));
    const r = validateRules(rules);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    // Blank ones are reported, as the editor shows them under the form.
    const blank = validateRules([{ name: "x", actions: [newAction("move"), newAction("webhook")] }]);
    expect(blank.ok).toBe(false);
  });

  it("flag lists round-trip through one text field; empty means no key", () => {
    expect(parseFlagList(" \\Seen, $Done ,,")).toEqual(["\\Seen", "$Done"]);
    expect(flagList(parseFlagList("\\Seen, $Done"))).toBe("\\Seen, $Done");
    expect(parseFlagList(" , ")).toBeUndefined();
    const a = withKey({ type: "flag", add: ["x"], remove: ["y"] }, "remove", undefined);
    expect(a).toEqual({ type: "flag", add: ["x"] });
    expect(withKey(a, "after", "webhook")).toEqual({ type: "flag", add: ["x"], after: "webhook" });
  });
});
