import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { createOutboundPolicy } from "./policy.js";

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
// Bias towards the interesting neighbourhoods as well as the whole space.
const nearSpecial = fc
  .constantFrom(
    "10",
    "100.64",
    "100.127",
    "127",
    "169.254",
    "172.16",
    "172.31",
    "192.168",
    "192.0.2",
    "224",
    "240",
    "0",
  )
  .chain((prefix) => {
    const missing = 4 - prefix.split(".").length;
    return fc
      .array(fc.nat(255), { minLength: missing, maxLength: missing })
      .map((rest) => [prefix, ...rest].join("."));
  });
const anyV4 = fc.oneof(ipv4, nearSpecial);

const policy = createOutboundPolicy({ resolve: async () => [] });
const allowed = async (url: string) => (await policy.checkUrl(url)).ok;

function hexWords(v4: string): [string, string] {
  const o = v4.split(".").map(Number);
  const word = (a: number, b: number) => ((a << 8) | b).toString(16);
  return [word(o[0]!, o[1]!), word(o[2]!, o[3]!)];
}

describe("checkDestination laws (fast-check)", () => {
  it("agrees with ipaddr.js's own classification of IPv4 (independent oracle)", async () => {
    // ipaddr calls as112 and amt anycast blocks special; they are public services, so allowed here.
    const publicRanges = new Set(["unicast", "as112", "amt"]);
    await fc.assert(
      fc.asyncProperty(anyV4, async (a) => {
        expect(await allowed(`http://${a}/`)).toBe(publicRanges.has(ipaddr.IPv4.parse(a).range()));
      }),
      { numRuns: 2_000 },
    );
  });

  it("judges every IPv6 form that embeds an IPv4 address like that address", async () => {
    await fc.assert(
      fc.asyncProperty(anyV4, async (a) => {
        const [hi, lo] = hexWords(a);
        const plain = await allowed(`http://${a}/`);
        expect(await allowed(`http://[::ffff:${a}]/`)).toBe(plain);
        expect(await allowed(`http://[::ffff:0:${hi}:${lo}]/`)).toBe(plain);
        expect(await allowed(`http://[64:ff9b::${hi}:${lo}]/`)).toBe(plain);
        expect(await allowed(`http://[2002:${hi}:${lo}::1]/`)).toBe(plain);
      }),
      { numRuns: 1_000 },
    );
  });

  it("judges the decimal and hex spellings of an IPv4 address like the dotted form", async () => {
    await fc.assert(
      fc.asyncProperty(anyV4, async (a) => {
        const n = a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
        const plain = await allowed(`http://${a}/`);
        expect(await allowed(`http://${n}/`)).toBe(plain);
        expect(await allowed(`http://0x${n.toString(16)}/`)).toBe(plain);
        expect(await allowed(`http://0${n.toString(8)}/`)).toBe(plain);
      }),
      { numRuns: 1_000 },
    );
  });

  it("refuses every address inside fc00::/7 and fe80::/10", async () => {
    const word = fc.nat(0xffff).map((w) => w.toString(16));
    const ula = fc.tuple(fc.nat(0x1ff), fc.array(word, { minLength: 7, maxLength: 7 }));
    await fc.assert(
      fc.asyncProperty(ula, async ([first, rest]) => {
        const ulaAddr = [(0xfc00 | first).toString(16), ...rest].join(":");
        const llAddr = [(0xfe80 | (first & 0x3f)).toString(16), ...rest].join(":");
        expect(await allowed(`http://[${ulaAddr}]/`)).toBe(false);
        expect(await allowed(`http://[${llAddr}]/`)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
