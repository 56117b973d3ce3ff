import type {
  BackfillCreateInput,
  BackfillView,
  DeliveryQuery,
  DeliverySummary,
  DeliveryView,
  EndpointCreateInput,
  EndpointTestResult,
  EndpointUpdateInput,
  EndpointView,
  EndpointWithSecret,
  MailboxCreateInput,
  MailboxStatus,
  MailboxTestResult,
  MailboxUpdateInput,
  MailboxView,
  Page,
  ReplayDeadResult,
  RotateSecretInput,
  RuleBodyInput,
  RuleTestInput,
  RuleTestResult,
  RuleView,
  TokenInfo,
} from "@mailhook/api-schema";
import type { ConditionExplanation, RuleExplanation } from "@mailhook/rules";
import { type ClientOptions, createTransport, type Query, type Transport } from "./transport.js";

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

/** A dry run's answer with the explanation typed as the rule language defines it. */
export type DryRunResult = {
  messages: (Omit<RuleTestResult["messages"][number], "results"> & {
    results: (Omit<RuleTestResult["messages"][number]["results"][number], "condition"> & {
      condition: ConditionExplanation | null;
      skipped: RuleExplanation["skipped"];
    })[];
  })[];
};

const enc = encodeURIComponent;

/** Every page of a list, fetched one after another. */
export async function* allPages<T>(
  list: (page: PageOptions) => Promise<Page<T>>,
  limit = 200,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await list({ limit, ...(cursor ? { cursor } : {}) });
    yield* page.data;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

function pageQuery(p: PageOptions | undefined): Query {
  return { limit: p?.limit, cursor: p?.cursor };
}

function mailboxes(call: Transport) {
  return {
    list: async (p?: PageOptions) =>
      (await call<Page<MailboxView>>({ method: "GET", path: "/v1/mailboxes", query: pageQuery(p) })).body,
    get: async (id: string) =>
      (await call<MailboxView>({ method: "GET", path: `/v1/mailboxes/${enc(id)}` })).body,
    /**
     * With `verify`, the API logs in first and nothing is saved when it cannot: the answer is
     * MAILBOX_VERIFY_FAILED with the server's words.
     */
    create: async (body: MailboxCreateInput, opts: { verify?: boolean; idempotencyKey?: string } = {}) =>
      (
        await call<MailboxView>({
          method: "POST",
          path: "/v1/mailboxes",
          query: { verify: opts.verify ? "true" : undefined },
          json: body,
          ...(opts.idempotencyKey ? { headers: { "idempotency-key": opts.idempotencyKey } } : {}),
        })
      ).body,
    update: async (id: string, body: MailboxUpdateInput, opts: { verify?: boolean } = {}) =>
      (
        await call<MailboxView>({
          method: "PATCH",
          path: `/v1/mailboxes/${enc(id)}`,
          query: { verify: opts.verify ? "true" : undefined },
          json: body,
        })
      ).body,
    remove: async (id: string) => {
      await call<null>({ method: "DELETE", path: `/v1/mailboxes/${enc(id)}` });
    },
    status: async (id: string) =>
      (await call<MailboxStatus>({ method: "GET", path: `/v1/mailboxes/${enc(id)}/status` })).body,
    test: async (id: string) =>
      (await call<MailboxTestResult>({ method: "POST", path: `/v1/mailboxes/${enc(id)}/test` })).body,
    /** Searches the folder since a day and enqueues every message found; see backfills.get. */
    backfill: async (id: string, body: BackfillCreateInput) =>
      (await call<BackfillView>({ method: "POST", path: `/v1/mailboxes/${enc(id)}/backfill`, json: body }))
        .body,
  };
}

function endpoints(call: Transport) {
  return {
    list: async (p?: PageOptions) =>
      (await call<Page<EndpointView>>({ method: "GET", path: "/v1/endpoints", query: pageQuery(p) })).body,
    get: async (id: string) =>
      (await call<EndpointView>({ method: "GET", path: `/v1/endpoints/${enc(id)}` })).body,
    /** The answer holds the signing secret, shown this once. */
    create: async (body: EndpointCreateInput) =>
      (await call<EndpointWithSecret>({ method: "POST", path: "/v1/endpoints", json: body })).body,
    update: async (id: string, body: EndpointUpdateInput) =>
      (await call<EndpointView>({ method: "PATCH", path: `/v1/endpoints/${enc(id)}`, json: body })).body,
    remove: async (id: string) => {
      await call<null>({ method: "DELETE", path: `/v1/endpoints/${enc(id)}` });
    },
    rotateSecret: async (id: string, body: RotateSecretInput = {}) =>
      (
        await call<EndpointWithSecret>({
          method: "POST",
          path: `/v1/endpoints/${enc(id)}/rotate-secret`,
          json: body,
        })
      ).body,
    replayDead: async (id: string) =>
      (await call<ReplayDeadResult>({ method: "POST", path: `/v1/endpoints/${enc(id)}/replay-dead` })).body,
    /** Sends a signed `endpoint.test` event and answers with the receiver's status, latency and preview. */
    sendTest: async (id: string) =>
      (await call<EndpointTestResult>({ method: "POST", path: `/v1/endpoints/${enc(id)}/test` })).body,
  };
}

function rules(call: Transport) {
  const ifMatch = (etag: string) => ({ "if-match": `"${etag}"` });
  return {
    /** In the order they run. */
    list: async (p?: PageOptions) =>
      (await call<Page<RuleView>>({ method: "GET", path: "/v1/rules", query: pageQuery(p) })).body,
    get: async (id: string) => (await call<RuleView>({ method: "GET", path: `/v1/rules/${enc(id)}` })).body,
    create: async (body: RuleBodyInput) =>
      (await call<RuleView>({ method: "POST", path: "/v1/rules", json: body })).body,
    /** Replaces the rule if it still has `etag` (else PRECONDITION_FAILED: someone changed it). */
    replace: async (id: string, body: RuleBodyInput, etag: string) =>
      (
        await call<RuleView>({
          method: "PUT",
          path: `/v1/rules/${enc(id)}`,
          json: body,
          headers: ifMatch(etag),
        })
      ).body,
    remove: async (id: string, etag: string) => {
      await call<null>({ method: "DELETE", path: `/v1/rules/${enc(id)}`, headers: ifMatch(etag) });
    },
    enable: async (id: string, etag: string) =>
      (await call<RuleView>({ method: "POST", path: `/v1/rules/${enc(id)}/enable`, headers: ifMatch(etag) }))
        .body,
    disable: async (id: string, etag: string) =>
      (await call<RuleView>({ method: "POST", path: `/v1/rules/${enc(id)}/disable`, headers: ifMatch(etag) }))
        .body,
    /** Reassigns priorities 10, 20, 30, … in this order. */
    reorder: async (ids: string[]) =>
      (await call<Page<RuleView>>({ method: "POST", path: "/v1/rules/reorder", json: { ids } })).body,
    /** Dry run: nothing is delivered or changed. */
    test: async (body: RuleTestInput) =>
      (await call<DryRunResult>({ method: "POST", path: "/v1/rules/test", json: body })).body,
  };
}

export type DeliveryFilter = Partial<DeliveryQuery> & PageOptions;

function deliveries(call: Transport) {
  return {
    /** Newest first; a page may be short while nextCursor is not null (rare filters). */
    list: async (f: DeliveryFilter = {}) =>
      (await call<Page<DeliverySummary>>({ method: "GET", path: "/v1/deliveries", query: { ...f } })).body,
    get: async (id: string) =>
      (await call<DeliveryView>({ method: "GET", path: `/v1/deliveries/${enc(id)}` })).body,
    replay: async (id: string) =>
      (await call<DeliveryView>({ method: "POST", path: `/v1/deliveries/${enc(id)}/replay` })).body,
  };
}

/**
 * A typed client for the mailhook API, on fetch only (Node ≥ 20 and browsers alike). Every failure
 * throws a MailhookError with the API's code, message, details and request id.
 *
 * @example
 * const mh = createClient({ baseUrl: "http://127.0.0.1:8787", token });
 * const { data } = await mh.deliveries.list({ status: "dead" });
 */
export function createClient(opts: ClientOptions) {
  const call = createTransport(opts);
  return {
    /** Who this token is (tenant, read-only). */
    token: async () => (await call<TokenInfo>({ method: "GET", path: "/v1/token" })).body,
    mailboxes: mailboxes(call),
    endpoints: endpoints(call),
    rules: rules(call),
    deliveries: deliveries(call),
    backfills: {
      get: async (id: string) =>
        (await call<BackfillView>({ method: "GET", path: `/v1/backfills/${enc(id)}` })).body,
    },
    /** The raw transport, for routes this client does not wrap yet. */
    request: call,
  };
}

export type MailhookClient = ReturnType<typeof createClient>;
