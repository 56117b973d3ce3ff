import http from "node:http";
import https from "node:https";

/** Request options carrying the address the outbound policy checked. */
export interface PinnedRequestOptions extends https.RequestOptions {
  pinnedAddress?: string;
}

// Node pools keep-alive sockets by host:port. Keying the pool by the pinned address as well means a
// socket opened to yesterday's address is never reused after DNS moved the name elsewhere.
class PinnedHttpAgent extends http.Agent {
  override getName(options?: PinnedRequestOptions): string {
    return `${super.getName(options)}:${options?.pinnedAddress ?? ""}`;
  }
}

class PinnedHttpsAgent extends https.Agent {
  override getName(options?: PinnedRequestOptions): string {
    return `${super.getName(options)}:${options?.pinnedAddress ?? ""}`;
  }
}

/** Keep-alive agents for deliveries; one pair per process is enough (pools are per origin). */
export interface DeliveryAgents {
  http: http.Agent;
  https: https.Agent;
}

export interface DeliveryAgentOptions {
  /** Sockets per origin; the delivery queue limits concurrency per endpoint, this is a backstop. */
  maxSocketsPerOrigin?: number;
  /** Idle keep-alive sockets are closed after this long (receivers usually close at 5 s). */
  idleTimeoutMs?: number;
  /**
   * Trusted CA certificates (PEM) instead of Node's default bundle, for receivers behind an internal
   * CA. To trust it in addition to the public roots pass `[...tls.rootCertificates, internalCa]`, or
   * use NODE_EXTRA_CA_CERTS. Certificates are still checked against the URL's host name.
   */
  ca?: string | Buffer | (string | Buffer)[];
}

export function createDeliveryAgents(opts: DeliveryAgentOptions = {}): DeliveryAgents {
  const common = {
    keepAlive: true,
    maxSockets: opts.maxSocketsPerOrigin ?? 64,
    maxFreeSockets: 64,
    timeout: opts.idleTimeoutMs ?? 4_000,
    scheduling: "lifo" as const,
  };
  const tls = opts.ca === undefined ? {} : { ca: opts.ca };
  return { http: new PinnedHttpAgent(common), https: new PinnedHttpsAgent({ ...common, ...tls }) };
}

let shared: DeliveryAgents | undefined;

/** The process-wide agents used when a caller does not pass its own. */
export function defaultDeliveryAgents(): DeliveryAgents {
  shared ??= createDeliveryAgents();
  return shared;
}
