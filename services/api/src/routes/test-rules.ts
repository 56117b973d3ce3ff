import { createRoute, z } from "@hono/zod-openapi";
import { RuleTestJson, RuleTestResult } from "@mailhook/api-schema";
import { DEFAULT_FETCH_LIMITS, type FetchLimits, type MailMessage } from "@mailhook/model";
import { type Rule, validateRules } from "@mailhook/rules";
import type { Api } from "../app.js";
import { payloadBuilder } from "../dry-run-payloads.js";
import { ApiError, errorResponses, validationFailed } from "../errors.js";
import { imapStack } from "../lazy.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

const RawQuery = z.object({
  ruleId: z
    .union([z.string().min(1).max(128), z.array(z.string().min(1).max(128)).max(500)])
    .optional()
    .openapi({ description: "With a message/rfc822 body: only these saved rules (repeatable)" }),
  mailboxId: z.string().min(1).max(128).optional(),
  folder: z.string().min(1).max(1000).optional(),
});

export const testRulesRoute = createRoute({
  method: "post",
  path: "/v1/rules/test",
  tags: ["rules"],
  summary: "Dry-run rules against a message and explain every condition",
  description:
    "Send the raw message as `message/rfc822`, or JSON with `eml` (or `emlBase64`, or `mailbox: { id, folder, last }` for the latest messages of a mailbox, fetched with the planner) and optionally unsaved `rules` to try. Nothing is delivered or changed; no message is marked seen.",
  security: bearer,
  request: {
    query: RawQuery,
    body: {
      // Not "required": that would run the JSON validator on message/rfc822 bodies too.
      required: false,
      content: {
        "application/json": { schema: RuleTestJson },
        "message/rfc822": { schema: z.string().openapi({ format: "binary" }) },
      },
    },
  },
  responses: {
    200: {
      description: "Per rule: matched or not, and why",
      content: { "application/json": { schema: RuleTestResult } },
    },
    ...errorResponses(400, 401, 403, 413, 415, 422, 429),
  },
});

export function registerTestRules(app: Api, svc: Services): void {
  app.openapi(testRulesRoute, async (c) => {
    // A dry run changes nothing: read-only tokens may use it.
    const tenantId = tenantOf(c, "read");
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    // uid is null for a posted message (it lives in no folder).
    let messages: { uid: number | null; message: MailMessage }[];
    let rules: Rule[];
    if (type === "message/rfc822") {
      const q = c.req.valid("query");
      const raw = Buffer.from(await c.req.arrayBuffer());
      const ids = q.ruleId === undefined ? undefined : Array.isArray(q.ruleId) ? q.ruleId : [q.ruleId];
      rules = capRules(svc, await savedRules(svc, tenantId, ids), "query.ruleId");
      messages = [
        { uid: null, message: await parse(svc, raw, q.mailboxId ?? "dry-run", q.folder ?? "INBOX") },
      ];
    } else if (type === "application/json") {
      // The validator runs for the JSON media type only; this branch is that one.
      const body = c.req.valid("json") as z.infer<typeof RuleTestJson>;
      if (body.rules) {
        const r = validateRules(capRules(svc, body.rules, "body.rules"), {
          limits: svc.deps.ruleLimits ?? {},
        });
        if (!r.ok)
          throw validationFailed(r.problems.map((p) => ({ path: `body.rules${p.path}`, reason: p.reason })));
        rules = r.rules;
      } else rules = capRules(svc, await savedRules(svc, tenantId, body.ruleIds), "body.ruleIds");
      if (body.mailbox) {
        const { id, folder, last } = body.mailbox;
        const { recentMessages } = await imapStack();
        messages = (await recentMessages(svc, tenantId, id, folder, last, rules)).map((m) => ({
          uid: m.uid,
          message: m,
        }));
      } else {
        const raw =
          body.emlBase64 !== undefined
            ? Buffer.from(body.emlBase64, "base64")
            : Buffer.from(body.eml ?? "", "utf8");
        messages = [{ uid: null, message: await parse(svc, raw, body.mailboxId, body.folder) }];
      }
    } else {
      throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send message/rfc822 or application/json");
    }
    const payloads = await payloadBuilder(svc, tenantId, rules);
    // Evaluated in the rule pool: off the event loop, within the worker's time budget per message.
    const results = [];
    for (const { uid, message } of messages) {
      const { value } = await svc.rulePool.explain(tenantId, rules, message);
      const explained = await Promise.all(
        value.map(async (r) => ({ ...r, webhooks: r.matched ? await payloads(message, r) : [] })),
      );
      results.push({
        message: {
          uid,
          subject: message.subject,
          from: message.from,
          messageId: message.messageId,
          attachments: message.attachments.length,
          ...seenText(message),
          // A posted message is parsed whole; a mailbox's recent messages went through the planner.
          parsedFrom: message.parsedFrom ?? (uid === null ? "source" : "bodystructure"),
        },
        results: explained,
      });
    }
    return c.json({ messages: results }, 200);
  });
}

const SEEN_TEXT_BYTES = 64 * 1024;

function seenText(m: MailMessage): { text: string | null; textTruncated: boolean } {
  if (m.text === null) return { text: null, textTruncated: false };
  const buf = Buffer.from(m.text, "utf8");
  if (buf.length <= SEEN_TEXT_BYTES) return { text: m.text, textTruncated: m.textTruncated };
  // Cut on a character boundary: drop a trailing partial UTF-8 sequence.
  const cut = buf
    .subarray(0, SEEN_TEXT_BYTES)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return { text: cut, textTruncated: true };
}

async function parse(svc: Services, raw: Buffer, mailboxId: string, folder: string): Promise<MailMessage> {
  if (raw.length === 0) throw validationFailed([{ path: "body", reason: "the message is empty" }]);
  const { MimeLimitExceeded, parseFullMessage } = await imapStack();
  let message: MailMessage;
  try {
    message = await parseFullMessage(raw, { mailboxId, folder, uidValidity: 0, uid: 1 });
  } catch (err) {
    // mailparser's limits (header block, number of parts): the message's shape, not our failure.
    if (err instanceof MimeLimitExceeded)
      throw new ApiError(
        422,
        "MESSAGE_UNPARSEABLE",
        `${err.message}; production reads such a message from its capped source or headers only`,
        [{ path: "body", reason: err.reason }],
      );
    throw err;
  }
  return withFetchCaps(message, svc.deps.fetchLimits ?? DEFAULT_FETCH_LIMITS);
}
/** A posted message is cut like the worker cuts what it fetches, so a dry run costs what mail does. */
function withFetchCaps(m: MailMessage, limits: FetchLimits): MailMessage {
  const cut = (s: string | null, max: number) => (s !== null && s.length > max ? s.slice(0, max) : s);
  const text = cut(m.text, limits.textBytes);
  const html = cut(m.html, limits.htmlBytes);
  return {
    ...m,
    text,
    html,
    textTruncated: m.textTruncated || text !== m.text,
    htmlTruncated: m.htmlTruncated || html !== m.html,
  };
}

function capRules<T>(svc: Services, rules: T[], path: string): T[] {
  const max = svc.limits.testMaxRules;
  if (rules.length > max)
    throw validationFailed([
      {
        path,
        reason: `a dry run evaluates at most ${max} rules (got ${rules.length}); pick some with ruleIds (JSON) or ruleId= (message/rfc822)`,
      },
    ]);
  return rules;
}

async function savedRules(svc: Services, tenantId: string, ids: string[] | undefined): Promise<Rule[]> {
  const all = await svc.deps.store.listRules(tenantId);
  if (ids === undefined) return all;
  const byId = new Map(all.map((r) => [r.id, r]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length)
    throw validationFailed(
      missing.map((id) => ({ path: "ruleIds", reason: `no rule ${JSON.stringify(id)}` })),
    );
  return ids.map((id) => byId.get(id) as Rule);
}
