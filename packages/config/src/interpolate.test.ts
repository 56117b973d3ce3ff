// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are mailhook.yaml `${VAR}` syntax, not templates
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { interpolate } from "./interpolate.js";
import { parseConfig } from "./parse.js";
import { problemsOf } from "./test-helpers.js";

const one = (s: string, env: Record<string, string | undefined>) => interpolate({ v: s }, env);

describe("interpolate", () => {
  it("substitutes a set variable", () => {
    expect(one("${A}", { A: "x" })).toEqual({ value: { v: "x" }, issues: [] });
    expect(one("pre-${A}-${B}-post", { A: "1", B: "2" }).value).toEqual({ v: "pre-1-2-post" });
  });

  it("keeps a set-but-empty variable without default", () => {
    expect(one("${A}", { A: "" })).toEqual({ value: { v: "" }, issues: [] });
  });

  it("uses the default when the variable is unset or empty", () => {
    expect(one("${A:-fallback}", {}).value).toEqual({ v: "fallback" });
    expect(one("${A:-fallback}", { A: "" }).value).toEqual({ v: "fallback" });
    expect(one("${A:-fallback}", { A: "set" }).value).toEqual({ v: "set" });
    expect(one("${A:-}", {}).value).toEqual({ v: "" });
    expect(one("${A:-imap.example.com:993}", {}).value).toEqual({ v: "imap.example.com:993" });
  });

  it("reports a missing variable with its path", () => {
    const { issues } = interpolate({ mailboxes: [{ password: "${IMAP_PASS}" }] }, {});
    expect(issues).toEqual([
      { path: ["mailboxes", 0, "password"], reason: "environment variable IMAP_PASS is not set" },
    ]);
  });

  it("treats $${ as a literal ${", () => {
    expect(one("$${A}", { A: "x" })).toEqual({ value: { v: "${A}" }, issues: [] });
    expect(one("a$${b}${A}", { A: "x" }).value).toEqual({ v: "a${b}x" });
    expect(one("cost: $5 and $HOME", {}).value).toEqual({ v: "cost: $5 and $HOME" });
  });

  it("reports malformed references", () => {
    expect(one("${A", {}).issues[0]?.reason).toBe("unterminated ${ (write $${ for a literal ${)");
    expect(one("${}", {}).issues[0]?.reason).toMatch(/^invalid variable reference/);
    expect(one("${1A}", {}).issues[0]?.reason).toMatch(/^invalid variable reference/);
    expect(one("${A-B}", {}).issues[0]?.reason).toMatch(/^invalid variable reference/);
  });

  it("interpolates values at any depth but never keys or non-strings", () => {
    const input = { "${K}": { list: ["${A}", 5, true, null, { deep: "${A}" }] } };
    expect(interpolate(input, { A: "a", K: "k" }).value).toEqual({
      "${K}": { list: ["a", 5, true, null, { deep: "a" }] },
    });
  });
});

describe("interpolation in parseConfig", () => {
  const file = `
version: 1
mailboxes:
  - id: support
    host: \${IMAP_HOST:-imap.example.com}
    port: \${IMAP_PORT:-993}
    tlsVerify: \${IMAP_TLS_VERIFY:-true}
    user: support@example.com
    password: \${IMAP_PASS}
`;

  it("fills values from the environment and coerces ports and flags", () => {
    const config = parseConfig(file, "mailhook.yaml", {
      IMAP_PASS: "s3cret",
      IMAP_PORT: "10993",
      IMAP_TLS_VERIFY: "false",
    });
    expect(config.mailboxes[0]).toMatchObject({
      host: "imap.example.com",
      port: 10993,
      tlsVerify: false,
      password: "s3cret",
    });
  });

  it("cannot inject YAML structure through a variable", () => {
    const config = parseConfig(file, "mailhook.yaml", { IMAP_PASS: "x\n    folders: [Evil]\nrules: [1]" });
    expect(config.mailboxes[0]?.password).toBe("x\n    folders: [Evil]\nrules: [1]");
    expect(config.mailboxes[0]?.folders).toEqual(["INBOX"]);
    expect(config.rules).toEqual([]);
  });

  it("reports the missing variable once, at the path that needs it", () => {
    expect(problemsOf(file, {})).toEqual([
      "mailboxes[0].password: environment variable IMAP_PASS is not set",
    ]);
  });

  it("reports a non-numeric port from the environment as a type problem", () => {
    expect(problemsOf(file, { IMAP_PASS: "p", IMAP_PORT: "imaps" })).toEqual([
      "mailboxes[0].port: expected a number, got a string",
    ]);
  });
});

describe("interpolate: properties", () => {
  const dollarish = fc.string({ unit: fc.constantFrom("$", "{", "}", "A", "-", ":", " ", "x") });

  it("leaves strings without $ unchanged", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes("$")),
        (s) => {
          expect(one(s, {})).toEqual({ value: { v: s }, issues: [] });
        },
      ),
    );
  });

  it("inserts a variable's value verbatim, never interpolating it again", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), dollarish), fc.string(), fc.string(), (value, before, after) => {
        const b = before.replaceAll("$", "");
        const a = after.replaceAll("$", "");
        expect(one(`${b}\${X}${a}`, { X: value })).toEqual({ value: { v: `${b}${value}${a}` }, issues: [] });
      }),
    );
  });

  it("round-trips any text written with every ${ escaped as $${", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), dollarish), (s) => {
        expect(
          one(
            s.replaceAll("${", () => "$${"),
            {},
          ),
        ).toEqual({ value: { v: s }, issues: [] });
      }),
    );
  });
});

describe("interpolation problems in parseConfig", () => {
  it("lists every unset variable of one value", () => {
    expect(
      problemsOf("version: 1\nmailboxes:\n  - { id: a, host: h, user: u, password: '${A}${B}' }\n"),
    ).toEqual([
      "mailboxes[0].password: environment variable A is not set",
      "mailboxes[0].password: environment variable B is not set",
    ]);
  });
});
