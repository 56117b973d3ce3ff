import type dns from "node:dns";
import { describe, expect, it } from "vitest";
import { createOutboundPolicy } from "./policy.js";
import { resolverFromLookup } from "./resolver.js";

/** A resolver answering from a fixed table, as dns.lookup with { all: true } does. */
function fakeLookup(table: Record<string, string[]>): typeof dns.lookup {
  const lookup = (
    host: string,
    _opts: unknown,
    cb: (err: NodeJS.ErrnoException | null, addrs: { address: string; family: number }[]) => void,
  ) => {
    // Like getaddrinfo: a fully qualified name with a trailing dot is the same name.
    const addrs = table[host.replace(/\.$/, "")];
    if (!addrs) {
      const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`);
      err.code = "ENOTFOUND";
      cb(err, []);
      return;
    }
    cb(
      null,
      addrs.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
    );
  };
  return lookup as unknown as typeof dns.lookup;
}

/** The policy with a global http allow-list, as the old checkDestination took it. */
function checkDestination(url: string, opts: { allow: string[]; lookup: typeof dns.lookup }) {
  return createOutboundPolicy({
    allow: { http: opts.allow },
    resolve: resolverFromLookup(opts.lookup),
  }).checkUrl(url);
}

const lookup = fakeLookup({
  "hooks.example.com": ["93.184.215.14"],
  "v6.example.com": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  "internal.example.com": ["10.1.2.3"],
  "split.example.com": ["93.184.215.14", "192.168.1.10"],
  "metadata.example.com": ["169.254.169.254"],
  localhost: ["127.0.0.1", "::1"],
  "receiver.test": ["127.0.0.1"],
});

async function refused(url: string, allow: string[] = []): Promise<string> {
  const r = await checkDestination(url, { allow, lookup });
  if (r.ok) throw new Error(`${url} was allowed (pinned ${r.address})`);
  return r.reason;
}

describe("checkDestination", () => {
  it("allows a public name and pins its address", async () => {
    const r = await checkDestination("https://hooks.example.com/in?x=1", { allow: [], lookup });
    expect(r).toMatchObject({ ok: true, address: "93.184.215.14", family: 4 });
    if (r.ok) expect(r.url.href).toBe("https://hooks.example.com/in?x=1");
  });

  it("allows a public IPv6 name with family 6", async () => {
    const r = await checkDestination("http://v6.example.com/", { allow: [], lookup });
    expect(r).toMatchObject({ ok: true, address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 });
  });

  it("allows public IP literals without a lookup", async () => {
    const r = await checkDestination("http://93.184.215.14:8080/", { allow: [], lookup: fakeLookup({}) });
    expect(r).toMatchObject({ ok: true, address: "93.184.215.14", family: 4 });
  });

  it.each([
    [
      "http://169.254.169.254/latest/meta-data/",
      /^169\.254\.169\.254 is link-local \(.*169\.254\.0\.0\/16\)$/,
    ],
    [
      "http://[::ffff:127.0.0.1]/",
      /^::ffff:7f00:1 is IPv4-mapped \(::ffff:0:0\/96\) for 127\.0\.0\.1, which is loopback \(127\.0\.0\.0\/8\)$/,
    ],
    ["http://2130706433/", /127\.0\.0\.1 is loopback/],
    ["http://0x7f.1/", /127\.0\.0\.1 is loopback/],
    ["http://017700000001/", /127\.0\.0\.1 is loopback/],
    ["http://127.1:9000/", /127\.0\.0\.1 is loopback/],
    ["http://0.0.0.0/", /unspecified.*0\.0\.0\.0\/8/],
    ["http://[::]/", /:: is unspecified/],
    ["http://[::1]/", /::1 is loopback/],
    ["http://10.0.0.1/", /^10\.0\.0\.1 is private \(RFC 1918, 10\.0\.0\.0\/8\)$/],
    ["http://172.31.255.255/", /private.*172\.16\.0\.0\/12/],
    ["http://192.168.0.1/", /private.*192\.168\.0\.0\/16/],
    ["http://100.64.0.1/", /carrier-grade NAT.*100\.64\.0\.0\/10/],
    ["http://224.0.0.1/", /multicast/],
    ["http://255.255.255.255/", /broadcast/],
    ["http://240.0.0.1/", /reserved \(class E, 240\.0\.0\.0\/4\)/],
    ["http://192.0.2.1/", /documentation/],
    ["http://[fd00::1]/", /unique-local \(fc00::\/7\)/],
    ["http://[fe80::1]/", /link-local \(fe80::\/10\)/],
    ["http://[ff02::1]/", /multicast/],
    ["http://[::ffff:a9fe:a9fe]/", /IPv4-mapped.*169\.254\.169\.254, which is link-local/],
    ["http://[::ffff:10.0.0.1]/", /IPv4-mapped.*10\.0\.0\.1, which is private/],
    ["http://[64:ff9b::7f00:1]/", /NAT64.*127\.0\.0\.1, which is loopback/],
    ["http://[2002:7f00:1::1]/", /6to4.*127\.0\.0\.1, which is loopback/],
    ["http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", /Teredo/],
    ["http://[::7f00:1]/", /not global unicast/],
  ])("refuses %s", async (url, reason) => {
    expect(await refused(url)).toMatch(reason);
  });

  it("refuses a name resolving to 10.x and names the range", async () => {
    expect(await refused("https://internal.example.com/hook")).toBe(
      "internal.example.com resolves to 10.1.2.3, which is private (RFC 1918, 10.0.0.0/8)",
    );
  });

  it("refuses a name with one public and one private address", async () => {
    expect(await refused("https://split.example.com/")).toMatch(
      /split\.example\.com resolves to 192\.168\.1\.10, which is private/,
    );
  });

  it("refuses names resolving to metadata and loopback addresses", async () => {
    expect(await refused("http://metadata.example.com/")).toMatch(/link-local/);
    expect(await refused("http://localhost:3000/")).toMatch(/loopback/);
  });

  it.each([
    "ftp://hooks.example.com/",
    "file:///etc/passwd",
    "gopher://hooks.example.com/",
    "javascript:alert(1)",
  ])("refuses the scheme of %s", async (url) => {
    expect(await refused(url)).toMatch(/http or https only/);
  });

  it("refuses credentials in the URL instead of silently dropping them", async () => {
    expect(await refused("https://user:secret@hooks.example.com/")).toMatch(/credentials in the URL/);
  });

  it("refuses a malformed URL", async () => {
    expect(await refused("not a url")).toBe("not a valid URL");
  });

  it("reports DNS failures as retryable, refusals as final", async () => {
    const dnsFail = await checkDestination("https://nowhere.example/", { allow: [], lookup });
    expect(dnsFail).toMatchObject({
      ok: false,
      code: "DESTINATION_UNRESOLVABLE",
      reason: "DNS lookup of nowhere.example failed: ENOTFOUND",
      retryable: true,
    });
    const ssrf = await checkDestination("http://10.0.0.1/", { allow: [], lookup });
    expect(ssrf).toMatchObject({ ok: false, retryable: false });
  });

  it("lets an allow-listed CIDR through, for that range only", async () => {
    const allow = ["127.0.0.1/32"];
    expect(await checkDestination("http://127.0.0.1:4000/", { allow, lookup })).toMatchObject({
      ok: true,
      address: "127.0.0.1",
    });
    expect(await checkDestination("http://receiver.test:4000/", { allow, lookup })).toMatchObject({
      ok: true,
      address: "127.0.0.1",
    });
    // The mapped form of an allowed v4 address is the same destination.
    expect(await checkDestination("http://[::ffff:127.0.0.1]/", { allow, lookup })).toMatchObject({
      ok: true,
    });
    expect(await refused("http://127.0.0.2/", allow)).toMatch(/loopback/);
    expect(await refused("http://localhost/", allow)).toMatch(/localhost resolves to ::1, which is loopback/);
  });

  it("lets bare addresses, wider CIDRs and host names from the allow-list through", async () => {
    expect(await checkDestination("http://10.9.8.7/", { allow: ["10.0.0.0/8"], lookup })).toMatchObject({
      ok: true,
    });
    expect(await checkDestination("http://[::1]/", { allow: ["::1"], lookup })).toMatchObject({
      ok: true,
      family: 6,
    });
    expect(
      await checkDestination("https://Internal.Example.com./", { allow: ["internal.example.com"], lookup }),
    ).toMatchObject({ ok: true, address: "10.1.2.3" });
    expect(
      await checkDestination("https://internal.example.com/", { allow: ["*.example.com"], lookup }),
    ).toMatchObject({ ok: true });
    expect(await refused("https://internal.example.com/", ["*.other.com", "example.com"])).toMatch(/private/);
  });

  it("rejects a malformed allow-list entry instead of ignoring it", async () => {
    await expect(async () =>
      checkDestination("http://10.0.0.1/", { allow: ["10.0.0.0/33"], lookup }),
    ).rejects.toThrow(/10\.0\.0\.0\/33/);
  });
});
