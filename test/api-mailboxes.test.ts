import { createServer, type Server } from "node:http";
import { type ProbeTarget, refreshMailbox, startOAuthRefresher } from "@mailhook/api";
import { createMailboxOAuth } from "@mailhook/store";
import {
  type ImapUser,
  makeMail,
  startDovecot,
  startRedis,
  type TestDovecot,
  type TestRedis,
} from "@mailhook/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiHarness } from "./support/api.js";
import { testOutbound } from "./support/outbound.js";
import { waitUntil } from "./support/stack.js";

let redis: TestRedis;
let dovecot: TestDovecot;
let api: ApiHarness;
let user: ImapUser;

beforeAll(async () => {
  [redis, dovecot] = await Promise.all([startRedis(), startDovecot()]);
  api = new ApiHarness({ redisUrl: redis.url });
  user = await dovecot.createUser("mbx");
  await dovecot.createFolder(user.user, "Projects");
  await dovecot.createFolder(user.user, "Junk");
});
afterAll(async () => {
  await api?.stop();
  await Promise.all([redis?.stop(), dovecot?.stop()]);
});

const plain = (over: Record<string, unknown> = {}) => ({
  address: `${user.user}@example.test`,
  host: "127.0.0.1",
  port: dovecot.port,
  tls: "none",
  tlsVerify: false,
  auth: { type: "password", user: user.user, password: user.pass },
  ...over,
});

describe("mailboxes on a real Dovecot", () => {
  it("maxSessions: stored, shown, cleared with null; 0 and 65 refused", async () => {
    const { token, tenantId } = await api.tenant("mbx-sessions");
    const m = await api.json("POST", "/v1/mailboxes", token, plain({ maxSessions: 2 }));
    expect(m.status).toBe(201);
    expect(m.body.maxSessions).toBe(2);
    const id = m.body.id as string;
    expect((await api.store.getMailbox(tenantId, id))?.maxSessions).toBe(2);
    for (const bad of [0, 65, 1.5]) {
      expect(
        (await api.json("POST", "/v1/mailboxes", token, plain({ maxSessions: bad }))).status,
        String(bad),
      ).toBe(400);
      expect(
        (await api.json("PATCH", `/v1/mailboxes/${id}`, token, { maxSessions: bad })).status,
        String(bad),
      ).toBe(400);
    }
    const cleared = await api.json("PATCH", `/v1/mailboxes/${id}`, token, { maxSessions: null });
    expect(cleared.body).not.toHaveProperty("maxSessions");
    expect((await api.store.getMailbox(tenantId, id))?.maxSessions).toBeUndefined();
  });

  it("happy: ?verify=true logs in, checks the folders and saves; the password is never returned or stored in clear", async () => {
    const { token, tenantId } = await api.tenant("mbx");
    const r = await api.json(
      "POST",
      "/v1/mailboxes?verify=true",
      token,
      plain({ folders: ["INBOX", "Projects"] }),
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: expect.stringMatching(/^mbx_/),
      auth: { type: "password", user: user.user },
      folders: ["INBOX", "Projects"],
      start: "new",
      enabled: true,
    });
    expect(r.text).not.toContain(user.pass);
    for (const path of ["/v1/mailboxes", `/v1/mailboxes/${r.body.id}`]) {
      expect((await api.call("GET", path, { token })).text).not.toContain(user.pass);
    }
    const raw = await api.redis.hget(api.store.keys.mailboxes, `${tenantId}/${r.body.id}`);
    expect(raw).not.toContain(user.pass);
    expect(JSON.parse(raw ?? "{}").password).toMatchObject({ kid: "k1" });
    expect((await api.store.getMailbox(tenantId, r.body.id))?.password).toBe(user.pass);
  });

  it("error: a wrong password or a missing folder is refused with ?verify=true, and nothing is saved", async () => {
    const { token, tenantId } = await api.tenant("mbx-bad");
    const wrong = await api.json(
      "POST",
      "/v1/mailboxes?verify=true",
      token,
      plain({ auth: { type: "password", user: user.user, password: "not-the-password" } }),
    );
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toMatchObject({
      code: "MAILBOX_VERIFY_FAILED",
      details: [{ path: "body.auth" }],
    });
    expect(wrong.text).not.toContain("not-the-password");
    const missing = await api.json(
      "POST",
      "/v1/mailboxes?verify=true",
      token,
      plain({ folders: ["INBOX", "Nope"] }),
    );
    expect(missing.status).toBe(422);
    expect(missing.body.error.details).toEqual([
      { path: "body.folders[1]", reason: 'the server has no folder "Nope"' },
    ]);
    expect(await api.store.listMailboxes(tenantId)).toEqual([]);
  });

  it("security: certificate verification is on by default (a self-signed server is refused)", async () => {
    const { token } = await api.tenant("mbx-tls");
    const body = plain({ port: dovecot.tlsPort, tls: "implicit" }) as Record<string, unknown>;
    delete body.tlsVerify;
    const r = await api.json("POST", "/v1/mailboxes?verify=true", token, body);
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(/certificate/i);
    const off = await api.json("POST", "/v1/mailboxes?verify=true", token, { ...body, tlsVerify: false });
    expect(off.status).toBe(201);
    expect(off.body.tlsVerify).toBe(false);
  });

  it("security: private IMAP hosts are refused unless IMAP_ALLOW lists them (no probing the internal network)", async () => {
    const strict = new ApiHarness({
      redisUrl: redis.url,
      shared: { prefix: api.prefix, store: api.store, redis: api.redis, secrets: api.secrets },
      deps: { outbound: testOutbound({ allow: { http: ["127.0.0.1/32"] } }) },
    });
    try {
      const { token, tenantId } = await strict.tenant("imap-ssrf");
      for (const host of ["127.0.0.1", "169.254.169.254", "10.0.0.5", "::1"]) {
        const r = await strict.json("POST", "/v1/mailboxes?verify=true", token, plain({ host }));
        expect(r.status, host).toBe(422);
        expect(r.body.error).toMatchObject({ code: "DESTINATION_REFUSED", details: [{ path: "body.host" }] });
      }
      expect(await strict.store.listMailboxes(tenantId)).toEqual([]);
      // A mailbox saved before (or from the config file) is not probed from the API either.
      const seeded = await api.tenant("imap-ssrf-2");
      const m = await api.json("POST", "/v1/mailboxes", seeded.token, plain());
      const viaStrict = await strict.call("POST", `/v1/mailboxes/${m.body.id}/test`, { token: seeded.token });
      expect(viaStrict.status).toBe(422);
      const p = await api.json("PATCH", `/v1/mailboxes/${m.body.id}`, seeded.token, {
        host: "169.254.169.254",
      });
      expect(p.status).toBe(422);
    } finally {
      await strict.stop();
    }
  });

  it("SPECIAL-USE selection: every folder but Junk, Trash, Sent, Drafts", async () => {
    const { token } = await api.tenant("mbx-all");
    const r = await api.json("POST", "/v1/mailboxes", token, plain({ folders: { all: true } }));
    expect(r.status).toBe(201);
    expect([...r.body.folders].sort()).toEqual(["INBOX", "Projects"]);
    const keepJunk = await api.json(
      "POST",
      "/v1/mailboxes",
      token,
      plain({ folders: { all: true, exclude: ["\\Trash"] } }),
    );
    expect([...keepJunk.body.folders].sort()).toEqual(["Drafts", "INBOX", "Junk", "Projects", "Sent"]);
  });

  it("POST /test reports the login outcome without saving anything or leaking the password", async () => {
    const { token } = await api.tenant("mbx-test");
    const good = await api.json("POST", "/v1/mailboxes", token, plain());
    const t = await api.call("POST", `/v1/mailboxes/${good.body.id}/test`, { token });
    expect(t.status).toBe(200);
    expect(t.body.ok).toBe(true);
    expect(t.body.folders).toEqual(
      expect.arrayContaining([
        { path: "Junk", specialUse: "\\Junk" },
        { path: "INBOX", specialUse: "\\Inbox" },
      ]),
    );
    const bad = await api.json(
      "POST",
      "/v1/mailboxes",
      token,
      plain({ auth: { type: "password", user: user.user, password: "wrong-pw-123" } }),
    );
    const tb = await api.call("POST", `/v1/mailboxes/${bad.body.id}/test`, { token });
    expect(tb.status).toBe(200);
    expect(tb.body).toMatchObject({ ok: false, authFailed: true });
    expect(tb.text).not.toContain("wrong-pw-123");
  });

  it("POST /v1/rules/test explains rules against the latest messages of a mailbox, without marking them seen", async () => {
    const { token } = await api.tenant("mbx-dry");
    const u = await dovecot.createUser("dry");
    for (const subject of ["Invoice 1", "Hello 2", "Invoice 3"])
      await dovecot.append(u.user, "INBOX", await makeMail({ subject, text: `body of ${subject}` }));
    const m = await api.json(
      "POST",
      "/v1/mailboxes",
      token,
      plain({ auth: { type: "password", user: u.user, password: u.pass } }),
    );
    const r = await api.json("POST", "/v1/rules/test", token, {
      mailbox: { id: m.body.id, last: 2 },
      rules: [
        {
          name: "invoices with a body",
          when: {
            all: [
              { field: "subject", op: "startsWith", value: "invoice" },
              { field: "text", op: "contains", value: "body of" },
            ],
          },
          actions: [{ type: "flag", add: ["$Seen-by-test"] }],
        },
      ],
    });
    expect(r.status).toBe(200);
    expect(
      r.body.messages.map((x: { message: { uid: number; subject: string } }) => [
        x.message.uid,
        x.message.subject,
      ]),
    ).toEqual([
      [3, "Invoice 3"],
      [2, "Hello 2"],
    ]);
    expect(r.body.messages.map((x: { results: { matched: boolean }[] }) => x.results[0]?.matched)).toEqual([
      true,
      false,
    ]);
    // The planner fetched the text part because a condition reads it.
    expect(r.body.messages[0].results[0].condition.children[1]).toMatchObject({
      result: true,
      seen: [expect.stringContaining("body of Invoice 3")],
    });
    const client = await dovecot.client(u);
    await client.mailboxOpen("INBOX");
    for await (const msg of client.fetch("1:*", { flags: true }))
      expect([...(msg.flags ?? [])]).not.toContain("\\Seen");
    await client.logout();
    const other = await api.tenant("mbx-dry-other");
    const foreign = await api.json("POST", "/v1/rules/test", other.token, {
      mailbox: { id: m.body.id },
      rules: [],
    });
    expect(foreign.status).toBe(404);
  });

  it("status per folder from the watcher's records; PATCH and DELETE publish change notices", async () => {
    const { token, tenantId } = await api.tenant("mbx-status");
    const m = await api.json("POST", "/v1/mailboxes", token, plain({ folders: ["INBOX", "Projects"] }));
    const id = m.body.id as string;
    const s0 = await api.call("GET", `/v1/mailboxes/${id}/status`, { token });
    expect(s0.body).toMatchObject({
      state: "unknown",
      folders: [{ folder: "INBOX", state: "unknown", cursor: null }, { folder: "Projects" }],
    });
    const now = new Date().toISOString();
    await api.store.setFolderStatus(tenantId, id, "INBOX", {
      state: "connected",
      lastError: null,
      since: now,
      idleSince: now,
      lastEventAt: now,
      owner: "w1",
    });
    await api.store.setFolderStatus(tenantId, id, "Projects", {
      state: "auth-failed",
      lastError: "AUTHENTICATIONFAILED",
      since: now,
      idleSince: null,
      lastEventAt: null,
      owner: "w1",
    });
    await api.store.advanceCursor(tenantId, id, "INBOX", { uidValidity: 7, lastUid: 42 }, null, true);
    const s1 = await api.call("GET", `/v1/mailboxes/${id}/status`, { token });
    expect(s1.body.state).toBe("auth-failed");
    expect(s1.body.folders[0]).toMatchObject({
      state: "connected",
      idleSince: now,
      cursor: { uidValidity: 7, lastUid: 42 },
    });
    expect(s1.body.folders[1]).toMatchObject({ state: "auth-failed", lastError: "AUTHENTICATIONFAILED" });

    const sub = new Redis(redis.url);
    const notices: string[] = [];
    await sub.subscribe(api.store.keys.changes);
    sub.on("message", (_ch, msg) => notices.push(msg));
    const p = await api.json("PATCH", `/v1/mailboxes/${id}`, token, { enabled: false });
    expect(p.body.enabled).toBe(false);
    expect((await api.call("GET", `/v1/mailboxes/${id}/status`, { token })).body.state).toBe("disabled");
    expect((await api.call("DELETE", `/v1/mailboxes/${id}`, { token })).status).toBe(204);
    await waitUntil(() => notices.length >= 2, 2000, "change notices");
    expect(notices.map((n) => JSON.parse(n))).toEqual([
      { kind: "mailbox", tenantId, id },
      { kind: "mailbox", tenantId, id },
    ]);
    expect(await api.store.getMailbox(tenantId, id)).toBeNull();
    sub.disconnect();
  });
});

/** A fake OAuth2 token endpoint over real HTTP that rotates refresh tokens like Microsoft does. */
async function startTokenEndpoint() {
  let generation = 1;
  const seen: URLSearchParams[] = [];
  let refuse = false;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      const form = new URLSearchParams(body);
      seen.push(form);
      res.setHeader("content-type", "application/json");
      if (
        refuse ||
        form.get("refresh_token") !== `rt-${generation}` ||
        form.get("client_secret") !== "cs-1"
      ) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({ error: "invalid_grant", error_description: `bad ${form.get("refresh_token")}` }),
        );
        return;
      }
      generation++;
      res.end(
        JSON.stringify({
          access_token: `at-${generation}`,
          expires_in: 3600,
          refresh_token: `rt-${generation}`,
          token_type: "Bearer",
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/token`,
    seen,
    generation: () => generation,
    refuse(v: boolean) {
      refuse = v;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

it("no password of this file's mailboxes appears in the API's logs", async () => {
  await new Promise((r) => setImmediate(r));
  const logs = api.logs.text();
  expect(api.logs.lines.length).toBeGreaterThan(20);
  for (const secret of [user.pass, "not-the-password", "wrong-pw-123"])
    expect(logs.includes(secret)).toBe(false);
});

describe("OAuth2 (XOAUTH2) mailboxes", () => {
  it("gets an access token at save, refreshes before expiry and saves rotated refresh tokens", async () => {
    const tokenEndpoint = await startTokenEndpoint();
    const probes: ProbeTarget[] = [];
    const h = new ApiHarness({
      redisUrl: redis.url,
      deps: {
        probeMailbox: async (t) => {
          probes.push(t);
          return {
            ok: true,
            folders: [{ path: "INBOX", specialUse: "\\Inbox" }],
            error: null,
            authFailed: false,
            ms: 1,
          };
        },
      },
    });
    try {
      const { token, tenantId } = await h.tenant("oauth");
      const c = await h.json("POST", "/v1/mailboxes?verify=true", token, {
        address: "me@example.test",
        host: "imap.example.test",
        auth: {
          type: "oauth2",
          user: "me@example.test",
          refreshToken: "rt-1",
          tokenEndpoint: tokenEndpoint.url,
          clientId: "cid",
          clientSecret: "cs-1",
        },
      });
      expect(c.status).toBe(201);
      expect(c.body.auth).toMatchObject({
        type: "oauth2",
        user: "me@example.test",
        clientId: "cid",
        hasRefreshToken: true,
      });
      expect(Date.parse(c.body.auth.accessTokenExpiresAt)).toBeGreaterThan(Date.now() + 3500_000);
      for (const secret of ["at-2", "rt-2", "cs-1"]) expect(c.text).not.toContain(secret);
      // The verify login used XOAUTH2 with the token just issued.
      expect(probes[0]?.auth).toEqual({ type: "oauth2", accessToken: "at-2" });
      expect(tokenEndpoint.seen[0]?.get("grant_type")).toBe("refresh_token");
      const id = c.body.id as string;
      const oauth = createMailboxOAuth(h.store, h.prefix, h.secrets);
      expect((await oauth.get(tenantId, id))?.refreshToken).toBe("rt-2");
      expect((await h.store.getMailbox(tenantId, id))?.password).toBe("at-2");
      // The watcher and worker log in with XOAUTH2 for this mailbox.
      expect((await h.store.getMailbox(tenantId, id))?.authMethod).toBe("xoauth2");
      const stored = JSON.stringify(await h.redis.hgetall(`${h.prefix}:mailbox-oauth`));
      expect(stored).not.toContain("rt-2");
      expect(stored).not.toContain("cs-1");

      // An explicit refresh sends the rotated refresh token and saves the next one.
      const deps = { store: h.store, oauth, http: { outbound: testOutbound() }, log: h.log };
      expect(await refreshMailbox(deps, tenantId, id)).toBe(true);
      expect(tokenEndpoint.seen[1]?.get("refresh_token")).toBe("rt-2");
      expect((await h.store.getMailbox(tenantId, id))?.password).toBe("at-3");
      expect((await oauth.get(tenantId, id))?.refreshToken).toBe("rt-3");

      // Two replicas refreshing at once spend the refresh token once: the other backs off.
      const before = tokenEndpoint.seen.length;
      const both = await Promise.all([
        refreshMailbox(deps, tenantId, id),
        refreshMailbox(deps, tenantId, id),
      ]);
      expect(both.sort()).toEqual([false, true]);
      expect(tokenEndpoint.seen.length).toBe(before + 1);
      expect((await h.store.getMailbox(tenantId, id))?.password).toBe(`at-${tokenEndpoint.generation()}`);

      // The background refresher picks up tokens that expire within its skew.
      // Tokens far from expiry are left alone.
      const idle = startOAuthRefresher(deps, { intervalMs: 50, skewMs: 60_000 });
      await new Promise((r) => setTimeout(r, 300));
      await idle.stop();
      expect(tokenEndpoint.seen.length).toBe(before + 1);
      const start = tokenEndpoint.generation();
      const refresher = startOAuthRefresher(deps, { intervalMs: 50, skewMs: 2 * 3600_000 });
      await waitUntil(() => tokenEndpoint.generation() > start, 5000, "background refresh");
      await refresher.stop();
      // Each tick refreshed (the skew exceeds the lifetime); the last grant is what is stored.
      const g = tokenEndpoint.generation();
      expect((await h.store.getMailbox(tenantId, id))?.password).toBe(`at-${g}`);
      expect((await oauth.get(tenantId, id))?.refreshToken).toBe(`rt-${g}`);

      // The mailbox test logs in with the current access token.
      const t = await h.call("POST", `/v1/mailboxes/${id}/test`, { token });
      expect(t.body.ok).toBe(true);
      expect(probes.at(-1)?.auth.type).toBe("oauth2");
      const lastAuth = probes.at(-1)?.auth;
      expect(lastAuth && "accessToken" in lastAuth ? lastAuth.accessToken : null).toMatch(/^at-\d+$/);

      // A refused grant is reported at save time, without the token.
      tokenEndpoint.refuse(true);
      const bad = await h.json("POST", "/v1/mailboxes", token, {
        address: "x@example.test",
        host: "imap.example.test",
        auth: {
          type: "oauth2",
          user: "x",
          refreshToken: "rt-secret-zz",
          tokenEndpoint: tokenEndpoint.url,
          clientId: "cid",
          clientSecret: "cs-1",
        },
      });
      expect(bad.status).toBe(422);
      expect(bad.body.error.message).toContain("invalid_grant");
      expect(bad.text).not.toContain("rt-secret-zz");
      await new Promise((r) => setImmediate(r));
      for (const secret of ["rt-1", "rt-2", "rt-3", "at-2", "at-3", "cs-1", "rt-secret-zz"])
        expect(h.logs.text()).not.toContain(secret);
    } finally {
      await h.stop();
      await tokenEndpoint.stop();
    }
  });

  it("security: the token endpoint goes through the SSRF guard", async () => {
    const h = new ApiHarness({
      redisUrl: redis.url,
      deps: { outbound: testOutbound({ allow: { imap: ["127.0.0.1/32"] } }) },
    });
    try {
      const { token } = await h.tenant("oauth-ssrf");
      const r = await h.json("POST", "/v1/mailboxes", token, {
        address: "x@example.test",
        host: "imap.example.test",
        auth: {
          type: "oauth2",
          user: "x",
          accessToken: "at",
          refreshToken: "rt",
          tokenEndpoint: "http://169.254.169.254/token",
          clientId: "c",
        },
      });
      expect(r.status).toBe(422);
      expect(r.body.error).toMatchObject({
        code: "DESTINATION_REFUSED",
        details: [{ path: "body.auth.tokenEndpoint" }],
      });
      const incomplete = await h.json("POST", "/v1/mailboxes", token, {
        address: "x@example.test",
        host: "imap.example.test",
        auth: { type: "oauth2", user: "x", refreshToken: "rt" },
      });
      expect(incomplete.status).toBe(400);
    } finally {
      await h.stop();
    }
  });
});
