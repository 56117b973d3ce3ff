// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are mailhook.yaml `${VAR}` syntax, not templates
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configError } from "./test-helpers.js";

// Each case puts a recognisable secret where validation fails and checks the whole error (message and
// problems) never contains it: these errors are printed at start and end up in logs.
const SECRET = "Tr0ub4dor&3-zebra";

function errorText(text: string, env: Record<string, string> = {}): string {
  const err = configError(text, env);
  return `${err.message}\n${JSON.stringify(err.problems)}`;
}

describe("config errors never contain secret values", () => {
  it.each([
    [
      "a password of the wrong type",
      `version: 1\nmailboxes:\n  - { id: a, host: h, user: u, password: [${SECRET}] }\n`,
    ],
    [
      "an invalid webhook secret",
      `version: 1\nendpoints:\n  - { id: e, url: "https://e.example/", secret: "${SECRET}" }\n`,
    ],
    [
      "a webhook secret with bad base64",
      `version: 1\nendpoints:\n  - { id: e, url: "https://e.example/", secret: "whsec_${SECRET}" }\n`,
    ],
    [
      "a header value with a line break",
      `version: 1\nendpoints:\n  - id: e\n    url: "https://e.example/"\n    headers: { Authorization: "Bearer ${SECRET}\\nX: y" }\n`,
    ],
    [
      "a URL with credentials and a bad scheme",
      `version: 1\nendpoints:\n  - { id: e, url: "ftp://user:${SECRET}@e.example/" }\n`,
    ],
    [
      "an unterminated variable inside a literal password",
      `version: 1\nmailboxes:\n  - { id: a, host: h, user: u, password: "\${${SECRET}" }\n`,
    ],
    [
      "an invalid variable reference",
      `version: 1\nmailboxes:\n  - { id: a, host: h, user: u, password: "\${${SECRET}}" }\n`,
    ],
    [
      "a YAML syntax error on the password line",
      `version: 1\nmailboxes:\n  - id: a\n    password: "${SECRET}\\q"\n`,
    ],
    ["a block scalar header with extra characters", `version: 1\npassword: |${SECRET}\n  x\n`],
    [
      "a password in an unknown key",
      `version: 1\nmailboxes:\n  - { id: a, host: h, user: u, password: p, pass: ${SECRET} }\n`,
    ],
  ])("%s", (_name, text) => {
    expect(errorText(text)).not.toContain(SECRET);
  });

  it("does not echo a variable's value when it lands in the wrong type", () => {
    const text = `version: 1\nmailboxes:\n  - { id: a, host: h, user: u, password: p, port: "\${PORT}" }\nendpoints:\n  - { id: e, url: "\${HOOK}", secret: "\${SECRET}" }\n`;
    const out = errorText(text, { PORT: SECRET, HOOK: `mailto:${SECRET}`, SECRET });
    expect(out).not.toContain(SECRET);
    expect(out).toContain("mailboxes[0].port");
    expect(out).toContain("endpoints[0].url");
    expect(out).toContain("endpoints[0].secret");
  });
});

describe("config errors never contain secret values: property", () => {
  // Every field of a mailbox and an endpoint gets the secret through ${S}, so most of them are invalid
  // at once; whatever the value, no problem may repeat it.
  const fields = [
    "id",
    "address",
    "host",
    "port",
    "tls",
    "tlsVerify",
    "user",
    "password",
    "folder",
    "start",
    "url",
    "secret",
    "header",
    "enabled",
    "tenant",
  ] as const;

  function file(at: ReadonlySet<string>): string {
    const v = (field: string, fallback: string) => (at.has(field) ? '"${S}"' : fallback);
    return `version: 1
tenant: ${v("tenant", "acme")}
mailboxes:
  - id: ${v("id", "a")}
    address: ${v("address", "a@example.com")}
    host: ${v("host", "h")}
    port: ${v("port", "993")}
    tls: ${v("tls", "implicit")}
    tlsVerify: ${v("tlsVerify", "true")}
    user: ${v("user", "u")}
    password: ${v("password", "p")}
    folders: [${v("folder", "INBOX")}, ${v("folder", "INBOX")}]
    start: ${at.has("start") ? '{ since: "${S}" }' : "new"}
endpoints:
  - id: e
    url: ${v("url", "https://e.example/")}
    secret: ${v("secret", "whsec_c2hvcnQ=")}
    headers: { X-Token: ${v("header", "t")}, "Bad Name": x }
    enabled: ${v("enabled", "true")}
rules:
  - id: r
    name: r
    actions: [{ type: webhook, endpoint: missing }]
`;
  }

  it("for any value in any combination of fields", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.subarray([...fields], { minLength: 1 }),
        (tail, chosen) => {
          const secret = `Zq9${tail}`;
          const text = errorText(file(new Set(chosen)), { S: secret });
          expect(text).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });
});
