import type { ClientRequest, IncomingMessage } from "node:http";
import http from "node:http";
import https from "node:https";
import { describeConnectError, pinnedLookup } from "@mailhook/net";
import { type DeliveryAgents, defaultDeliveryAgents, type PinnedRequestOptions } from "./agents.js";
import type { DeliveryAttempt } from "./attempt.js";
import { parseRetryAfter } from "./retry.js";

export interface DeliverArgs {
  /** The destination as the outbound policy checked it (checkUrl). */
  url: URL;
  /** The address the outbound policy checked: the only address this request may connect to. */
  address: string;
  family: 4 | 6;
  /** From webhookHeaders(); content-length is added here. */
  headers: Record<string, string>;
  body: string;
  /** Until the TCP connection is established (a reused keep-alive socket counts as connected). */
  connectTimeoutMs: number;
  /** For the whole attempt: connect, TLS, sending, waiting for and reading the response. */
  totalTimeoutMs: number;
  /** At most this many bytes of the response body are read and kept as the preview. */
  maxResponseBytes: number;
  /** Keep-alive agents; defaults to one process-wide pair. */
  agents?: DeliveryAgents;
  /**
   * Receives the full text of a network or TLS error (it names addresses and ports) for the
   * operator's log; the attempt itself records only "connection failed" (see describeConnectError).
   */
  onError?: (detail: string) => void;
}

class AttemptTimeout extends Error {}

/**
 * POSTs one webhook to the pinned address and reports what happened; it never throws. Name-based
 * URLs keep their host name for the Host header and TLS (SNI and certificate check) while the socket
 * goes to `address`. Redirects are not followed: a 3xx is reported with error "redirect not followed".
 *
 * @example
 * const attempt = await deliver({ url, address, family, headers, body, connectTimeoutMs: 5_000,
 *   totalTimeoutMs: 15_000, maxResponseBytes: 4_096 });
 * classifyAttempt(attempt); // "delivered" | "retry" | "gone" | "failed"
 */
export async function deliver(args: DeliverArgs): Promise<DeliveryAttempt> {
  const first = await attempt(args);
  // A keep-alive socket the receiver closed while it sat idle fails at once with ECONNRESET before any
  // response; that says nothing about the receiver, so it is retried once on a fresh socket.
  if (first.staleSocket) return (await attempt(args)).result;
  return first.result;
}

interface Outcome {
  result: DeliveryAttempt;
  staleSocket: boolean;
}

function attempt(args: DeliverArgs): Promise<Outcome> {
  const started = performance.now();
  const at = new Date().toISOString();
  const agents = args.agents ?? defaultDeliveryAgents();
  const isHttps = args.url.protocol === "https:";
  const host = args.url.hostname.replace(/^\[(.*)\]$/, "$1");

  return new Promise((resolve) => {
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    let status: number | null = null;
    let retryAfterMs: number | null = null;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;

    const finish = (error: string | null, staleSocket = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      const preview = Buffer.concat(chunks).subarray(0, args.maxResponseBytes).toString("utf8");
      resolve({
        staleSocket,
        result: {
          at,
          status,
          latencyMs: Math.round(performance.now() - started),
          error,
          responsePreview: preview,
          retryAfterMs,
        },
      });
    };

    let connectTimer: NodeJS.Timeout | undefined;
    const totalTimer = setTimeout(() => {
      const phase = status === null ? "waiting for the response" : "reading the response body";
      const err = new AttemptTimeout(`total timeout after ${args.totalTimeoutMs} ms ${phase}`);
      // Once a status line arrived the receiver has answered; a stalled body only loses the preview.
      if (res) {
        res.destroy();
        finish(err.message);
      } else req?.destroy(err);
    }, args.totalTimeoutMs);

    const options: PinnedRequestOptions = {
      method: "POST",
      protocol: args.url.protocol,
      hostname: host,
      port: args.url.port === "" ? (isHttps ? 443 : 80) : Number(args.url.port),
      path: `${args.url.pathname}${args.url.search}`,
      headers: { ...args.headers, "content-length": String(Buffer.byteLength(args.body)) },
      agent: isHttps ? agents.https : agents.http,
      lookup: pinnedLookup(args.address, args.family),
      family: args.family,
      pinnedAddress: args.address,
    };
    if (isHttps && !/^[\d.]+$|:/.test(host)) options.servername = host;

    try {
      req = (isHttps ? https : http).request(options, onResponse);
    } catch (err) {
      // Invalid header names or values throw synchronously; report them like any other failure.
      finish(`invalid request: ${describe(err)}`);
      return;
    }

    function onResponse(response: IncomingMessage): void {
      res = response;
      status = response.statusCode ?? null;
      retryAfterMs = parseRetryAfter(headerValue(response.headers["retry-after"]));
      const redirect =
        status !== null && status >= 300 && status < 400
          ? `redirect not followed (${status}${response.headers.location ? ` to ${response.headers.location}` : ""})`
          : null;
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received >= args.maxResponseBytes) {
          // Enough for the preview; dropping the socket is cheaper than draining a huge body.
          response.destroy();
          finish(redirect);
        }
      });
      response.on("end", () => finish(redirect));
      response.on("error", (err) => finish(redirect ?? describeConnectError(err)));
      response.on("close", () => finish(redirect ?? (response.complete ? null : "response ended early")));
    }

    // The connect clock starts when the agent hands out a socket: time spent queued for a free socket
    // (pool full) is the sender's congestion, not the receiver's, and only the total timeout covers it.
    req.on("socket", (socket) => {
      if (settled || !socket.connecting) return;
      connectTimer = setTimeout(() => {
        req?.destroy(new AttemptTimeout(`connect timeout after ${args.connectTimeoutMs} ms`));
      }, args.connectTimeoutMs);
      socket.once("connect", () => clearTimeout(connectTimer));
    });
    req.on("error", (err) => {
      const stale = req?.reusedSocket === true && res === undefined && hasCode(err, "ECONNRESET");
      if (!(err instanceof AttemptTimeout)) args.onError?.(describe(err));
      finish(err instanceof AttemptTimeout ? err.message : describeConnectError(err), stale);
    });
    req.end(args.body);
  });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function hasCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException).code === code;
}

function describe(err: unknown): string {
  if (err instanceof AttemptTimeout) return err.message;
  const e = err as NodeJS.ErrnoException;
  return e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
}
