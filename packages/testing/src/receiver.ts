import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Arrival time (Date.now(), ms), taken when the body is complete, before the handler runs. */
  at: number;
}

export interface ReceiverResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (to exercise delivery timeouts). */
  delayMs?: number;
}

export type ReceiverHandler = (req: ReceivedRequest) => ReceiverResponse | Promise<ReceiverResponse>;

export interface StartReceiverOptions {
  handler?: ReceiverHandler;
}

export interface TestReceiver {
  /** `http://127.0.0.1:<port>` (no trailing slash); any path is accepted. */
  url: string;
  /** Every request so far, in arrival order. */
  requests: ReceivedRequest[];
  /** Resolves with the first `count` requests once that many arrived; rejects after `timeoutMs` (default 10 s). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  setHandler(fn: ReceiverHandler): void;
  /** Forgets the recorded requests (the same `requests` array is emptied). */
  clear(): void;
  stop(): Promise<void>;
}

const DEFAULT_RESPONSE: ReceiverResponse = { status: 200, body: "ok" };

/**
 * A real HTTP server on a free 127.0.0.1 port that records every request and answers through a
 * swappable handler (200 "ok" by default).
 *
 * @example
 * const receiver = await startReceiver({ handler: () => ({ status: 503 }) });
 * // ... trigger deliveries to `${receiver.url}/hook` ...
 * const [first] = await receiver.waitFor(1);
 */
export async function startReceiver(opts: StartReceiverOptions = {}): Promise<TestReceiver> {
  let handler: ReceiverHandler = opts.handler ?? (() => DEFAULT_RESPONSE);
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: flattenHeaders(req),
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(recorded);
      for (const wake of waiters) wake();
      void respond(recorded).then(
        (answer) => {
          if (res.destroyed) return;
          res.writeHead(answer.status ?? 200, answer.headers);
          res.end(answer.body ?? "");
        },
        (err: unknown) => {
          if (res.destroyed) return;
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(`receiver handler failed: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
    });
  });

  const respond = async (recorded: ReceivedRequest): Promise<ReceiverResponse> => {
    const answer = await handler(recorded);
    if (answer.delayMs && answer.delayMs > 0) await new Promise((r) => setTimeout(r, answer.delayMs));
    return answer;
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests.slice(0, count));
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${requests.length} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    setHandler(fn) {
      handler = fn;
    },
    clear() {
      requests.length = 0;
    },
    stop() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        // Deliveries waiting on delayMs or keep-alive sockets must not hold the test open.
        server.closeAllConnections();
      });
    },
  };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
