/**
 * `npm start -- --demo`: a local Dovecot with one demo mailbox and a receiver that checks each
 * webhook's Standard Webhooks signature and prints it. Started (through tsx) and stopped by
 * scripts/start.mjs; prints one JSON line describing what it started, then serves until SIGTERM.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startDovecot } from "../../packages/testing/src/index.js";

const secret = `whsec_${randomBytes(32).toString("base64")}`;
const dovecot = await startDovecot();
const user = await dovecot.createUser("demo");
let last: unknown = null;

function verified(headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const id = String(headers["webhook-id"] ?? "");
  const ts = String(headers["webhook-timestamp"] ?? "");
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const want = createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest();
  const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
  return (
    fresh &&
    String(headers["webhook-signature"] ?? "")
      .split(" ")
      .some((sig) => {
        const got = Buffer.from(sig.replace(/^v1,/, ""), "base64");
        return got.length === want.length && timingSafeEqual(got, want);
      })
  );
}

const server = createServer((req, res) => {
  if (req.method === "GET") {
    res.writeHead(last ? 200 : 404, { "content-type": "application/json" });
    res.end(`${JSON.stringify(last ?? { error: "no webhook received yet" }, null, 2)}\n`);
    return;
  }
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => (body += c));
  req.on("end", () => {
    const ok = verified(req.headers, body);
    res.writeHead(ok ? 204 : 401).end();
    const payload = JSON.parse(body) as { message?: { subject?: string; from?: unknown } };
    last = { verified: ok, webhookId: req.headers["webhook-id"], payload };
    process.stderr.write(
      `[demo] ${ok ? "verified" : "UNVERIFIED"} webhook ${String(req.headers["webhook-id"])}: "${payload.message?.subject ?? ""}"\n`,
    );
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
const port = (server.address() as AddressInfo).port;
process.stdout.write(
  `${JSON.stringify({ imapPort: dovecot.port, user: user.user, pass: user.pass, receiver: `http://127.0.0.1:${port}/hooks`, secret })}\n`,
);

const stop = async () => {
  server.close();
  await dovecot.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
