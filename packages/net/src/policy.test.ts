import { describe, expect, it } from "vitest";
import { parseAllowList } from "./allow-list.js";
import { createOutboundPolicy } from "./policy.js";
import type { Resolve } from "./resolver.js";

const table: Record<string, string[]> = {
  "imap.example.com": ["93.184.215.14"],
  "internal.example.com": ["10.1.2.3"],
  "two.example.com": ["127.0.0.2", "127.0.0.3"],
};
const resolve: Resolve = async (host) => {
  const a = table[host];
  if (!a) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return a.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};
const imap = (host: string, port = 993) => ({ host, port, tls: "implicit" as const, tlsVerify: true });

describe("allow-list entries with ports", () => {
  it("parses every documented form", () => {
    const l = parseAllowList([
      "10.0.0.0/8",
      "127.0.0.1",
      "::1",
      "127.0.0.1:1143",
      "[::1]:8080",
      "10.0.0.0/8:443",
      "[fd00::/8]:993",
      "hooks.internal",
      "*.corp:8443",
    ]);
    expect(l.cidrs.map((c) => [c.net.toString(), c.bits, c.port])).toEqual([
      ["10.0.0.0", 8, null],
      ["127.0.0.1", 32, null],
      ["::1", 128, null],
      ["127.0.0.1", 32, 1143],
      ["::1", 128, 8080],
      ["10.0.0.0", 8, 443],
      ["fd00::", 8, 993],
    ]);
    expect(l.hosts).toEqual([
      { name: "hooks.internal", port: null },
      { name: "*.corp", port: 8443 },
    ]);
  });

  it.each(["10.0.0.0/33", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "[hooks.internal]:80", "a b", "::1:80x"])(
    "refuses %s",
    (entry) => {
      expect(() => parseAllowList([entry])).toThrow(/not an address, CIDR or host name/);
    },
  );

  it("admits an allowed address on its port only", async () => {
    const p = createOutboundPolicy({ allow: { http: ["127.0.0.2:8080"], imap: ["[::1]:1143"] }, resolve });
    expect(await p.checkUrl("http://127.0.0.2:8080/x")).toMatchObject({ ok: true, address: "127.0.0.2" });
    // The example: allowing 127.0.0.2 for a webhook must not open its Redis port.
    expect(await p.checkUrl("http://127.0.0.2:6379/")).toMatchObject({
      ok: false,
      code: "DESTINATION_REFUSED",
    });
    expect(await p.checkImap(imap("::1", 1143))).toMatchObject({ ok: true, address: "::1" });
    expect(await p.checkImap(imap("[::1]", 143))).toMatchObject({ ok: false });
    // The lists are per kind.
    expect(await p.checkImap(imap("127.0.0.2", 8080))).toMatchObject({ ok: false });
  });
});

describe("outbound policy", () => {
  it("refuses a name that does not resolve, for IMAP as for webhooks", async () => {
    const p = createOutboundPolicy({ resolve });
    const v = await p.checkImap(imap("nowhere.example.com"));
    expect(v).toMatchObject({ ok: false, code: "DESTINATION_UNRESOLVABLE" });
    if (!v.ok) expect(v.message).toMatch(/destination not allowed.*IMAP_ALLOW/);
  });

  it("tells the tenant the setting, never what a name resolved to", async () => {
    const p = createOutboundPolicy({ resolve });
    const v = await p.checkImap(imap("internal.example.com"));
    if (v.ok) throw new Error("allowed");
    expect(v.reason).toBe(
      "internal.example.com resolves to 10.1.2.3, which is private (RFC 1918, 10.0.0.0/8)",
    );
    expect(v.message).not.toMatch(/10\.1\.2\.3|RFC 1918|private/);
    expect(v.message).toMatch(/^destination not allowed: internal\.example\.com .*IMAP_ALLOW$/);
    // A literal the tenant typed may be named with its range.
    const lit = await p.checkUrl("http://127.0.0.1:1/");
    if (lit.ok) throw new Error("allowed");
    expect(lit.message).toBe(
      "destination not allowed: 127.0.0.1 is loopback (127.0.0.0/8); an operator can allow it (with its port) in WEBHOOK_ALLOW",
    );
  });

  it("checks every address of a name and pins the first", async () => {
    const p = createOutboundPolicy({ allow: { imap: ["127.0.0.2"] }, resolve });
    expect(await p.checkImap(imap("two.example.com"))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/127\.0\.0\.3, which is loopback/),
    });
    const both = createOutboundPolicy({ allow: { imap: ["127.0.0.2", "127.0.0.3"] }, resolve });
    expect(await both.checkImap(imap("two.example.com"))).toMatchObject({
      ok: true,
      address: "127.0.0.2",
      servername: "two.example.com",
    });
  });

  it("adds the operator's per-tenant entries to the global list, for that tenant only", async () => {
    const p = createOutboundPolicy({
      resolve,
      tenantAllow: async (t) => (t === "acme" ? { imap: ["10.0.0.0/8:993"] } : null),
    });
    expect(await p.checkImap(imap("internal.example.com"), { tenantId: "acme" })).toMatchObject({ ok: true });
    expect(await p.checkImap(imap("internal.example.com", 143), { tenantId: "acme" })).toMatchObject({
      ok: false,
    });
    const other = await p.checkImap(imap("internal.example.com"), { tenantId: "other" });
    expect(other).toMatchObject({ ok: false });
    if (!other.ok) expect(other.message).toMatch(/IMAP_ALLOW or the tenant's allow-list/);
  });

  it("applies the operator's TLS and https switches, naming them", async () => {
    const strict = createOutboundPolicy({
      resolve,
      requireHttps: true,
      requireTls: true,
      requireTlsVerify: true,
    });
    expect(await strict.checkUrl("http://imap.example.com/")).toMatchObject({
      ok: false,
      code: "SETTING_FORBIDDEN",
      message: expect.stringMatching(/WEBHOOK_REQUIRE_HTTPS/),
    });
    expect(await strict.checkUrl("https://imap.example.com/")).toMatchObject({ ok: true });
    expect(await strict.checkImap({ ...imap("imap.example.com", 143), tls: "none" })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/IMAP_REQUIRE_TLS\b/),
    });
    expect(await strict.checkImap({ ...imap("imap.example.com"), tlsVerify: false })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/IMAP_REQUIRE_TLS_VERIFY/),
    });
    const lax = createOutboundPolicy({ resolve });
    expect(
      await lax.checkImap({ ...imap("imap.example.com", 143), tls: "none", tlsVerify: false }),
    ).toMatchObject({
      ok: true,
    });
  });
});
