import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { parseConfig } from "./parse.js";
import { configError, MAILBOX, problemsOf, SECRET } from "./test-helpers.js";

describe("parseConfig: valid files", () => {
  it("parses a full example with every key", () => {
    const config = parseConfig(
      `
version: 1
tenant: acme
mailboxes:
  - id: support
    address: Support <support@acme.example>
    host: imap.acme.example
    port: 1993
    tls: implicit
    tlsVerify: false
    user: support@acme.example
    password: pw
    folders: [INBOX, "Needs Reply"]
    start: all
    enabled: false
  - id: invoices
    host: 127.0.0.1
    tls: none
    user: invoices
    password: pw2
    start: { since: "2026-01-31T00:00:00+01:00" }
endpoints:
  - id: tickets
    url: http://127.0.0.1:8080/hook?x=1
    secret: ${SECRET}
    headers: { X-Token: abc, X-Source: mailhook }
    enabled: false
rules:
  - id: r1
    name: Tickets
    mailboxes: [support, invoices]
    when: { field: subject, op: contains, value: help }
    actions: [{ type: webhook, endpoint: tickets }]
`,
      "mailhook.yaml",
      {},
    );
    expect(config.tenant).toBe("acme");
    expect(config.mailboxes).toEqual([
      {
        id: "support",
        address: "Support <support@acme.example>",
        host: "imap.acme.example",
        port: 1993,
        tls: "implicit",
        tlsVerify: false,
        user: "support@acme.example",
        password: "pw",
        folders: ["INBOX", "Needs Reply"],
        start: "all",
        enabled: false,
      },
      {
        id: "invoices",
        address: "invoices",
        host: "127.0.0.1",
        port: 143,
        tls: "none",
        tlsVerify: true,
        user: "invoices",
        password: "pw2",
        folders: ["INBOX"],
        start: { since: "2026-01-31T00:00:00+01:00" },
        enabled: true,
      },
    ]);
    expect(config.endpoints).toEqual([
      {
        id: "tickets",
        url: "http://127.0.0.1:8080/hook?x=1",
        secret: SECRET,
        headers: { "X-Token": "abc", "X-Source": "mailhook" },
        enabled: false,
      },
    ]);
    expect(config.rules).toHaveLength(1);
    expect(config.rules[0]).toMatchObject({
      id: "r1",
      name: "Tickets",
      mailboxes: ["support", "invoices"],
      actions: [{ type: "webhook", endpoint: "tickets" }],
    });
  });

  it("applies defaults", () => {
    const config = parseConfig(
      `
version: 1
mailboxes:
  - { id: a, host: h, user: a@example.com, password: p }
  - { id: b, host: h, user: b, password: p, tls: starttls }
  - { id: c, host: h, user: c, password: p, tls: none }
endpoints:
  - { id: e, url: https://example.com/hook }
`,
      "mailhook.yaml",
      {},
    );
    expect(config.tenant).toBe("default");
    expect(config.rules).toEqual([]);
    const [a, b, c] = config.mailboxes;
    expect(a).toEqual({
      id: "a",
      address: "a@example.com",
      host: "h",
      port: 993,
      tls: "implicit",
      tlsVerify: true,
      user: "a@example.com",
      password: "p",
      folders: ["INBOX"],
      start: "new",
      enabled: true,
    });
    expect(b?.port).toBe(143);
    expect(c?.port).toBe(143);
    expect(config.endpoints).toEqual([
      { id: "e", url: "https://example.com/hook", headers: {}, enabled: true },
    ]);
  });

  it("accepts a file with only a version", () => {
    expect(parseConfig("version: 1\n", "f.yaml", {})).toEqual({
      tenant: "default",
      mailboxes: [],
      endpoints: [],
      rules: [],
    });
  });
});

describe("parseConfig: problems", () => {
  it("formats the message as one `file: path: reason` line per problem, in file order", () => {
    const err = configError(`
version: 1
mailboxes:
  - id: Support
    host: h
    user: u
    password: p
    port: 0
`);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems).toEqual([
      {
        file: "mailhook.yaml",
        path: "mailboxes[0].id",
        reason: "must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit",
        line: 4,
        column: 5,
      },
      {
        file: "mailhook.yaml",
        path: "mailboxes[0].port",
        reason: "must be a port number (1-65535)",
        line: 8,
        column: 5,
      },
    ]);
    expect(err.message.split("\n")).toEqual([
      "mailhook.yaml: mailboxes[0].id: must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit (line 4, column 5)",
      "mailhook.yaml: mailboxes[0].port: must be a port number (1-65535) (line 8, column 5)",
    ]);
  });

  it("reports YAML syntax errors with line and column", () => {
    const err = configError("version: 1\nmailboxes:\n  - id: a\n    host: [unclosed\n");
    expect(err.problems[0]).toMatchObject({
      path: "(root)",
      line: expect.any(Number),
      column: expect.any(Number),
    });
    expect(err.problems[0]?.reason).toMatch(/^YAML syntax error: /);
    expect(configError("a: 1\na: 2\n").problems[0]).toMatchObject({
      reason: "YAML syntax error: the same key appears twice in one mapping",
      line: 2,
      column: 1,
    });
    expect(problemsOf("version: 1\n---\nversion: 1\n")).toEqual([
      "(root): YAML syntax error: expected one YAML document, found several (remove the extra `---`)",
    ]);
  });

  it("reports an empty file and a file that is not a mapping", () => {
    expect(problemsOf("")).toEqual(["(root): file is empty (expected at least `version: 1`)"]);
    expect(problemsOf("# only a comment\n")).toEqual([
      "(root): file is empty (expected at least `version: 1`)",
    ]);
    expect(problemsOf("- a\n- b\n")).toEqual(["(root): expected a mapping, got a list"]);
  });

  it("refuses alias bombs", () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
`;
    expect(problemsOf(bomb)[0]).toMatch(/^\(root\): YAML: .*alias/i);
  });

  it("requires version 1", () => {
    expect(problemsOf("mailboxes: []\n")).toEqual(["version: must be 1 (the only config format so far)"]);
    expect(problemsOf("version: 2\n")).toEqual(["version: must be 1 (the only config format so far)"]);
  });

  it("names unknown keys, one per key, with a suggestion for typos", () => {
    expect(
      problemsOf(`
version: 1
mailbox: []
mailboxes:
  - id: a
    host: h
    user: u
    pasword: p
    password: p
    colour: red
`),
    ).toEqual([
      'mailbox: unknown key (did you mean "mailboxes"?)',
      'mailboxes[0].pasword: unknown key (did you mean "password"?)',
      "mailboxes[0].colour: unknown key",
    ]);
  });

  it("asks for quotes when YAML turned a string value into a number or boolean", () => {
    expect(
      problemsOf("version: 1\nmailboxes:\n  - { id: a, host: h, user: true, password: 0123 }\n"),
    ).toEqual([
      "mailboxes[0].user: expected a string, got a boolean (put the value in quotes)",
      "mailboxes[0].password: expected a string, got a number (put the value in quotes)",
    ]);
  });

  it("tolerates a byte order mark and CRLF line ends", () => {
    const config = parseConfig("\uFEFFversion: 1\r\ntenant: acme\r\n", "mailhook.yaml", {});
    expect(config.tenant).toBe("acme");
  });

  it("carries a code and says it is not retryable", () => {
    const err = configError("version: 2\n");
    expect(err.code).toBe("config_invalid");
    expect(err.retryable).toBe(false);
    expect(err.name).toBe("ConfigError");
  });

  it("reports missing required mailbox fields at their path", () => {
    expect(problemsOf("version: 1\nmailboxes:\n  - id: a\n")).toEqual([
      "mailboxes[0].host: required",
      "mailboxes[0].user: required",
      "mailboxes[0].password: required",
    ]);
  });

  it("checks mailbox field types and values", () => {
    expect(
      problemsOf(`
version: 1
mailboxes:
  - id: a
    host: h
    user: u
    password: p
    port: 70000
    tls: ssl
    tlsVerify: maybe
    folders: []
    start: old
  - id: b
    host: h
    user: u
    password: p
    folders: [INBOX, "", INBOX]
    start: { since: "last tuesday" }
`),
    ).toEqual([
      "mailboxes[0].port: must be a port number (1-65535)",
      'mailboxes[0].tls: must be one of "implicit", "starttls", "none"',
      "mailboxes[0].tlsVerify: expected a boolean, got a string",
      "mailboxes[0].folders: must list at least one folder",
      'mailboxes[0].start: must be "new", "all" or { since: <ISO date> }',
      "mailboxes[1].folders[1]: folder name must not be empty",
      "mailboxes[1].folders[2]: folder listed twice",
      "mailboxes[1].start.since: must be an ISO date (2024-01-31) or date-time with offset (2024-01-31T00:00:00Z)",
    ]);
  });

  it("checks endpoints: id, URL scheme, secret format, headers", () => {
    expect(
      problemsOf(`
version: 1
endpoints:
  - id: a
    url: ftp://example.com/x
    secret: not-a-secret
  - id: b
    url: not a url
    secret: whsec_c2hvcnQ=
    headers:
      "Bad Header": x
      Webhook-Signature: forged
      X-Ok: fine
`),
    ).toEqual([
      "endpoints[0].url: must be an http:// or https:// URL",
      "endpoints[0].secret: must be whsec_ followed by base64 of at least 24 bytes (e.g. `openssl rand -base64 32`)",
      "endpoints[1].url: must be an http:// or https:// URL",
      "endpoints[1].secret: must be whsec_ followed by base64 of at least 24 bytes (e.g. `openssl rand -base64 32`)",
      'endpoints[1].headers["Bad Header"]: not a valid HTTP header name',
      'endpoints[1].headers["Webhook-Signature"]: reserved: mailhook sets this header itself',
    ]);
  });

  it("reports duplicate ids per kind, but allows the same id across kinds", () => {
    expect(
      problemsOf(`
version: 1
mailboxes:${MAILBOX}${MAILBOX}
endpoints:
  - { id: support, url: "https://a.example/" }
  - { id: support, url: "https://b.example/" }
`),
    ).toEqual([
      'mailboxes[1].id: duplicate mailbox id "support" (first used at mailboxes[0])',
      'endpoints[1].id: duplicate endpoint id "support" (first used at endpoints[0])',
    ]);
  });

  it("requires rule ids in the file", () => {
    expect(
      problemsOf(`
version: 1
endpoints: [{ id: tickets, url: "https://t.example/" }]
rules:
  - name: No id
    actions: [{ type: webhook, endpoint: tickets }]
`),
    ).toEqual([
      "rules[0].id: required in the config file: a stable id keeps deliveries idempotent across restarts",
    ]);
  });

  it("checks that rules reference declared endpoints and mailboxes", () => {
    expect(
      problemsOf(`
version: 1
mailboxes:${MAILBOX}
endpoints: [{ id: tickets, url: "https://t.example/" }]
rules:
  - id: r1
    name: Wrong references
    mailboxes: [support, sales]
    actions:
      - { type: webhook, endpoint: tickets }
      - { type: webhook, endpoint: crm }
`),
    ).toEqual([
      'rules[0].mailboxes[1]: unknown mailbox "sales" (declared: "support")',
      'rules[0].actions[1].endpoint: unknown endpoint "crm" (declared: "tickets")',
    ]);
  });

  it("checks that a rule's folders are watched by its mailboxes", () => {
    expect(
      problemsOf(`
version: 1
mailboxes:
  - { id: support, host: h, user: u, password: p }
  - { id: invoices, host: h, user: u, password: p, folders: [INBOX, Invoices] }
endpoints: [{ id: tickets, url: "https://t.example/" }]
rules:
  - id: ok
    name: Folders that exist
    mailboxes: [support, invoices]
    folders: [inbox, Invoices]
    actions: [{ type: webhook, endpoint: tickets }]
  - id: bad
    name: Folder nobody watches
    mailboxes: [support]
    folders: [Invoices, INBOX/Invoices]
    actions: [{ type: webhook, endpoint: tickets }]
  - id: any-mailbox
    name: Without mailboxes the API may add one that watches it
    folders: [Elsewhere]
    actions: [{ type: webhook, endpoint: tickets }]
`),
    ).toEqual([
      'rules[1].folders[0]: folder "Invoices" is not watched by mailbox "support"',
      'rules[1].folders[1]: folder "INBOX/Invoices" is not watched by mailbox "support"',
    ]);
  });

  it("says when nothing is declared to reference", () => {
    expect(
      problemsOf(`
version: 1
rules:
  - id: r1
    name: Orphan
    actions: [{ type: webhook, endpoint: tickets }]
`),
    ).toEqual(['rules[0].actions[0].endpoint: unknown endpoint "tickets" (none declared)']);
  });

  it("prefixes rule problems from @mailhook/rules with rules[i]", () => {
    const problems = configError(`
version: 1
endpoints: [{ id: tickets, url: "https://t.example/" }]
rules:
  - id: ok
    name: Fine
    actions: [{ type: webhook, endpoint: tickets }]
  - id: bad
    name: Bad op
    when:
      all:
        - { field: subject, op: resembles, value: x }
    actions: [{ type: webhook, endpoint: tickets }]
`).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: "rules[1].when.all[0].op", line: 12, column: 29 });
  });

  it("reports a duplicate rule id once", () => {
    const problems = problemsOf(`
version: 1
endpoints: [{ id: tickets, url: "https://t.example/" }]
rules:
  - { id: r1, name: A, actions: [{ type: webhook, endpoint: tickets }] }
  - { id: r1, name: B, actions: [{ type: webhook, endpoint: tickets }] }
`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rules\[1\]\.id: duplicate/);
  });

  it("lists every problem of the file, not only the first", () => {
    const problems = problemsOf(
      `
version: 1
tenant: Acme!
mailboxes:
  - id: a
    host: h
    user: u
    password: \${NOPE}
endpoints:
  - { id: e, url: "gopher://x" }
rules:
  - name: r
    actions: [{ type: webhook, endpoint: missing }]
`,
    );
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "tenant",
      "mailboxes[0].password",
      "endpoints[0].url",
      "rules[0].id",
      "rules[0].actions[0].endpoint",
    ]);
  });
});

describe("parseConfig: a mailbox's maxSessions", () => {
  it("takes a whole number of worker sessions and leaves it out when absent", () => {
    const with3 = parseConfig(`version: 1\nmailboxes:${MAILBOX}\n    maxSessions: 3\n`, "mailhook.yaml", {});
    expect(with3.mailboxes[0]?.maxSessions).toBe(3);
    const without = parseConfig(`version: 1\nmailboxes:${MAILBOX}\n`, "mailhook.yaml", {});
    expect(without.mailboxes[0]).not.toHaveProperty("maxSessions");
  });
  it("refuses 0, fractions and more than 64, naming the key", () => {
    for (const [value, reason] of [
      ["0", "must be at least 1"],
      ["1.5", "must be a whole number"],
      ["65", "must be at most 64"],
    ] as const) {
      expect(problemsOf(`version: 1\nmailboxes:${MAILBOX}\n    maxSessions: ${value}\n`)).toEqual([
        `mailboxes[0].maxSessions: ${reason}`,
      ]);
    }
  });
});
