import { expect, it } from "vitest";
import { useApi } from "./support/api.js";

const api = useApi({
  deps: {
    jobCounts: async () => ({
      "mail.process": { waiting: 3, active: 1 },
      "webhook.deliver": { failed: 2 },
    }),
    workerCounts: async () => ({ "mail.process": 1, "webhook.deliver": 1 }),
  },
});

/** The value of one sample line, e.g. `mailhook_jobs{queue="mail.process",state="waiting"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}

it("/metrics reports folders by state, jobs by queue and state, deliveries by status, latency and requests", async () => {
  const { token, tenantId } = await api.tenant("metrics");
  const m = await api.json("POST", "/v1/mailboxes", token, {
    address: "a@b.test",
    host: "127.0.0.1",
    tls: "none",
    folders: ["INBOX", "Archive", "Other"],
    auth: { type: "password", user: "u", password: "p" },
  });
  const now = new Date().toISOString();
  const status = (state: "connected" | "error") => ({
    state,
    lastError: null,
    since: now,
    idleSince: null,
    lastEventAt: null,
    owner: "w",
  });
  await api.store.setFolderStatus(tenantId, m.body.id, "INBOX", status("connected"));
  await api.store.setFolderStatus(tenantId, m.body.id, "Archive", status("connected"));
  await api.store.setFolderStatus(tenantId, m.body.id, "Other", status("error"));
  const seenAt = Date.now() - 1500;
  for (const [i, st] of (["delivered", "delivered", "dead"] as const).entries()) {
    const at = new Date(seenAt + 1000).toISOString();
    await api.store.createDelivery({
      id: `msg_metrics${i}`,
      tenantId,
      endpointId: "ep",
      ruleId: "r",
      mailboxId: m.body.id,
      folder: "INBOX",
      uidValidity: 1,
      uid: i + 1,
      messageKey: `k${i}`,
      status: "pending",
      body: "{}",
      createdAt: now,
      updatedAt: now,
      seenAt,
      attempts: [],
      lastError: null,
    });
    await api.store.recordAttempt(
      `msg_metrics${i}`,
      {
        at,
        status: st === "delivered" ? 200 : 500,
        latencyMs: 200,
        error: null,
        responsePreview: "",
        retryAfterMs: null,
      },
      st,
      null,
    );
  }

  // What the workers count per range FETCH (see the e2e test for the worker side).
  await api.store.redis.hset(api.store.keys.metrics, { fetch_bytes: 123456, fetch_messages: 42 });
  const r = await api.call("GET", "/metrics");
  expect(r.status).toBe(200);
  expect(sample(r.text, "mailhook_fetch_bytes_total")).toBe(123456);
  expect(sample(r.text, "mailhook_fetched_messages_total")).toBe(42);
  expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(sample(r.text, 'mailhook_imap_folders{state="connected"}')).toBe(2);
  expect(sample(r.text, 'mailhook_imap_folders{state="error"}')).toBe(1);
  expect(sample(r.text, 'mailhook_jobs{queue="mail.process",state="waiting"}')).toBe(3);
  expect(sample(r.text, 'mailhook_jobs{queue="webhook.deliver",state="failed"}')).toBe(2);
  expect(sample(r.text, 'mailhook_deliveries_recent{status="delivered"}')).toBe(2);
  expect(sample(r.text, 'mailhook_deliveries_recent{status="dead"}')).toBe(1);
  // Two delivered messages, each 1.2 s from seen to accepted.
  expect(sample(r.text, "mailhook_delivery_latency_seconds_count")).toBe(2);
  expect(sample(r.text, 'mailhook_delivery_latency_seconds_bucket{le="1"}')).toBe(0);
  expect(sample(r.text, 'mailhook_delivery_latency_seconds_bucket{le="2.5"}')).toBe(2);
  expect(
    sample(r.text, 'mailhook_http_requests_total{method="POST",route="/v1/mailboxes",status="201"}'),
  ).toBe(1);
  // A later scrape (past the per-scrape scan cache) does not count the same deliveries twice.
  await new Promise((r) => setTimeout(r, 1_100));
  const again = await api.call("GET", "/metrics");
  expect(sample(again.text, "mailhook_delivery_latency_seconds_count")).toBe(2);
  // No secrets, no raw paths with ids in labels.
  expect(again.text).not.toContain(m.body.id);
  const ready = await api.call("GET", "/readyz");
  expect(ready.status).toBe(200);
});
