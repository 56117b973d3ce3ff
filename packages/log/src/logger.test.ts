import { Writable } from "node:stream";
import fc from "fast-check";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, REDACT_PATHS } from "./logger.js";
import { isSecretKey, scrubString } from "./scrub.js";

function capture(level = "debug") {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ name: "test-service", level, destination });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, records };
}

describe("createLogger", () => {
  it("writes JSON lines with ISO time, level label and the service field", () => {
    const { log, records } = capture();
    log.info({ mailboxId: "support", uid: 42 }, "enqueued");
    const [rec] = records();
    expect(rec).toMatchObject({
      level: "info",
      service: "test-service",
      mailboxId: "support",
      uid: 42,
      msg: "enqueued",
    });
    expect(rec?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it("honours the level", () => {
    const { log, lines } = capture("warn");
    log.info("hidden");
    log.warn("shown");
    expect(lines).toHaveLength(1);
  });

  it("redacts secrets at several depths and keeps normal fields", () => {
    const { log, lines, records } = capture();
    log.info(
      {
        password: "s-top",
        token: "s-token",
        mailbox: {
          id: "support",
          user: "support@example.com",
          password: "s-depth1",
          auth: { user: "u", pass: "s-auth" },
        },
        endpoint: {
          url: "https://example.com/hook",
          secret: "whsec_s-secret",
          headers: { authorization: "Bearer s-bearer" },
        },
        deep: {
          a: { b: { c: { d: { imapPassword: "s-deep5", refreshToken: "s-refresh", keep: "visible" } } } },
        },
        list: [{ pass: "s-array" }, { "x-api-key": "s-apikey" }],
        flags: { hasSecret: true },
      },
      "configured",
    );
    const text = lines.join("");
    for (const secret of [
      "s-top",
      "s-token",
      "s-depth1",
      "s-auth",
      "s-secret",
      "s-bearer",
      "s-deep5",
      "s-refresh",
      "s-array",
      "s-apikey",
    ]) {
      expect(text).not.toContain(secret);
    }
    const [rec] = records();
    expect(rec).toMatchObject({
      password: "[redacted]",
      token: "[redacted]",
      mailbox: {
        id: "support",
        user: "support@example.com",
        password: "[redacted]",
        auth: { user: "u", pass: "[redacted]" },
      },
      endpoint: {
        url: "https://example.com/hook",
        secret: "[redacted]",
        headers: { authorization: "[redacted]" },
      },
      deep: {
        a: { b: { c: { d: { imapPassword: "[redacted]", refreshToken: "[redacted]", keep: "visible" } } } },
      },
      list: [{ pass: "[redacted]" }, { "x-api-key": "[redacted]" }],
      // A boolean saying whether a secret exists is not itself a secret.
      flags: { hasSecret: true },
    });
  });

  it("does not mutate the logged object", () => {
    const { log } = capture();
    const mailbox = { id: "support", password: "hunter2", nested: { token: "t" } };
    log.info({ mailbox }, "x");
    expect(mailbox).toEqual({ id: "support", password: "hunter2", nested: { token: "t" } });
  });

  it("redacts child bindings", () => {
    const { log, lines, records } = capture();
    log.child({ mailboxId: "support", auth: { user: "u", pass: "s-binding" } }).info("connected");
    expect(lines.join("")).not.toContain("s-binding");
    expect(records()[0]).toMatchObject({ mailboxId: "support", auth: { user: "u", pass: "[redacted]" } });
  });

  it("serialises errors with type, message, stack, cause and own fields, redacted", () => {
    const { log, lines, records } = capture();
    const err = Object.assign(
      new Error("connect to redis://default:s-urlpass@127.0.0.1:6379 failed", {
        cause: new Error("ECONNREFUSED"),
      }),
      {
        code: "ECONNREFUSED",
        config: { headers: { Authorization: "Basic s-basic" }, password: "s-errpass" },
      },
    );
    log.error(err, "redis down");
    log.warn({ err, attempt: 2 }, "retrying");
    const text = lines.join("");
    for (const secret of ["s-urlpass", "s-basic", "s-errpass"]) expect(text).not.toContain(secret);
    const [first, second] = records();
    expect(first).toMatchObject({
      msg: "redis down",
      err: {
        type: "Error",
        message: "connect to redis://default:[redacted]@127.0.0.1:6379 failed",
        code: "ECONNREFUSED",
        config: { headers: { Authorization: "[redacted]" }, password: "[redacted]" },
        cause: { type: "Error", message: "ECONNREFUSED" },
      },
    });
    expect((first?.err as { stack?: string } | undefined)?.stack).toContain(
      "Error: connect to redis://default:[redacted]@",
    );
    expect(second).toMatchObject({ attempt: 2, err: { code: "ECONNREFUSED" } });
  });

  it("serialises errors nested under any key", () => {
    const { log, records } = capture();
    log.info({ result: { failure: new TypeError("bad input") } }, "x");
    expect(records()[0]).toMatchObject({ result: { failure: { type: "TypeError", message: "bad input" } } });
  });

  it("scrubs credentials inside the message text", () => {
    const { log, lines } = capture();
    log.info("connecting to imaps://support:s-msgpass@imap.example.com with whsec_c2VjcmV0c2VjcmV0");
    const text = lines.join("");
    expect(text).not.toContain("s-msgpass");
    expect(text).not.toContain("c2VjcmV0c2VjcmV0");
    expect(text).toContain("imaps://support:[redacted]@imap.example.com");
  });

  it("cuts off very deep objects instead of walking them", () => {
    const { log, lines } = capture();
    let deep: Record<string, unknown> = { password: "s-too-deep" };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    log.info(deep, "deep");
    expect(lines.join("")).not.toContain("s-too-deep");
    expect(lines.join("")).toContain('"[depth]"');
  });

  it("survives circular objects", () => {
    const { log, records } = capture();
    const o: Record<string, unknown> = { id: 1 };
    o.self = o;
    log.info(o, "circular");
    expect(records()[0]).toMatchObject({ id: 1, self: "[circular]" });
  });
});

describe("REDACT_PATHS", () => {
  it("redacts the known locations through pino alone", () => {
    // The walk normally runs first; this checks the second layer stands on its own.
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, destination);
    log.info({
      password: "a",
      headers: { authorization: "b", accept: "*/*" },
      mailbox: { password: "c", id: "m" },
    });
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      password: "[redacted]",
      headers: { authorization: "[redacted]", accept: "*/*" },
      mailbox: { password: "[redacted]", id: "m" },
    });
  });
});

describe("isSecretKey", () => {
  it.each([
    "password",
    "PASS",
    "secret",
    "secrets",
    "token",
    "accessToken",
    "refresh_token",
    "Authorization",
    "x-api-key",
    "imapPassword",
    "webhookSecret",
    "set-cookie",
  ])("%s is secret", (k) => expect(isSecretKey(k)).toBe(true));
  it.each(["user", "id", "passive", "compass", "bypass", "tokenCount", "host", "secretary"])(
    "%s is not",
    (k) => expect(isSecretKey(k)).toBe(false),
  );
});

describe("scrubString", () => {
  it("leaves plain text alone", () => {
    expect(scrubString("https://example.com/hook?x=1")).toBe("https://example.com/hook?x=1");
  });
});

describe("scrub: edge cases", () => {
  it("logs fetch Headers with their entries, redacted", () => {
    const { log, lines, records } = capture();
    log.info(
      { headers: new Headers({ authorization: "Bearer s-fetch", "content-type": "application/json" }) },
      "x",
    );
    expect(lines.join("")).not.toContain("s-fetch");
    expect(records()[0]).toMatchObject({
      headers: { authorization: "[redacted]", "content-type": "application/json" },
    });
  });

  it("survives a throwing getter", () => {
    const { log, records } = capture();
    const o = {
      id: 1,
      get broken(): string {
        throw new Error("nope");
      },
    };
    log.info(o, "x");
    expect(records()[0]).toMatchObject({ id: 1, broken: "[unreadable]" });
  });

  it("logs Maps, Sets, bigints and buffers without leaking", () => {
    const { log, lines, records } = capture();
    log.info(
      {
        m: new Map([["token", "s-map"]]),
        s: new Set(["a"]),
        n: 10n,
        b: Buffer.from("s-buffer"),
      },
      "x",
    );
    expect(lines.join("")).not.toMatch(/s-map|s-buffer/);
    expect(records()[0]).toMatchObject({ m: { token: "[redacted]" }, s: ["a"], n: "10", b: "[8 bytes]" });
  });
});

describe("redaction: property", () => {
  // A random JSON-like tree with a marked secret under a random secret-looking key somewhere inside.
  const secretKey = fc.constantFrom(
    "password",
    "pass",
    "secret",
    "token",
    "accessToken",
    "Authorization",
    "apiKey",
    "smtp_password",
    "x-api-key",
    "clientSecret",
  );
  const leaf = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 8 }).map((s) => s.replace(/S3CR3T/g, "")),
  );
  const plainKey = fc.constantFrom("id", "user", "host", "list", "nested", "meta", "uid", "folder");

  it("never writes a value held under a secret key, at any depth up to 10", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(plainKey, fc.boolean()), { minLength: 0, maxLength: 10 }),
        secretKey,
        fc.dictionary(plainKey, leaf, { maxKeys: 3 }),
        (route, key, siblings) => {
          const marker = "S3CR3T-value";
          let node: unknown = { ...siblings, [key]: marker };
          for (const [k, asArray] of route.reverse()) node = asArray ? [1, node] : { [k]: node, other: 1 };
          const { log, lines } = capture();
          log.info(node as object, "property");
          log.info({ wrapped: node }, "property");
          log.child({ bound: node }).info("property");
          expect(lines.join("")).not.toContain(marker);
        },
      ),
    );
  });
});

describe("child loggers", () => {
  it("scrub nested bindings of children, grandchildren and setBindings", () => {
    const { log, lines, records } = capture();
    const child = log.child({ mailbox: { id: "support", password: "s-child" } });
    child.info("one");
    child.child({ endpoint: { id: "tickets", secret: "s-grandchild" } }).info("two");
    child.setBindings({ imap: { auth: { user: "u", pass: "s-set" } } });
    child.info("three");
    expect(lines.join("")).not.toMatch(/s-child|s-grandchild|s-set/);
    const [one, two, three] = records();
    expect(one).toMatchObject({ mailbox: { id: "support", password: "[redacted]" } });
    expect(two).toMatchObject({
      mailbox: { id: "support" },
      endpoint: { id: "tickets", secret: "[redacted]" },
    });
    expect(three).toMatchObject({ imap: { auth: { user: "u", pass: "[redacted]" } } });
  });
});
