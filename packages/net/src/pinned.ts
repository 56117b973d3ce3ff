import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { CheckedAddress } from "./destination.js";

/**
 * A `lookup` for node:net / node:http that answers every query with the checked address, in both
 * callback shapes net uses: the socket goes there and nowhere else, whatever DNS says now.
 */
export function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

export interface PinnedPostArgs {
  dest: CheckedAddress & { url: URL };
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The answer is cut after this many bytes (default 64 KiB). */
  maxResponseBytes?: number;
}

/**
 * POSTs to the checked address of a URL (for OAuth token endpoints): Host header and TLS (SNI,
 * certificate check) use the URL's name, the socket goes to `dest.address`. No redirects, no
 * agent (no pooled socket from an earlier address), bounded time and answer size.
 */
export function pinnedPost(args: PinnedPostArgs): Promise<{ status: number; text: string }> {
  const { url } = args.dest;
  const isHttps = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (isHttps ? https : http).request(
      {
        method: "POST",
        protocol: url.protocol,
        hostname: args.dest.host,
        port: args.dest.port,
        path: `${url.pathname}${url.search}`,
        headers: { ...args.headers, "content-length": String(Buffer.byteLength(args.body)) },
        agent: false,
        lookup: pinnedLookup(args.dest.address, args.dest.family),
        family: args.dest.family,
        ...(isHttps && args.dest.servername ? { servername: args.dest.servername } : {}),
        timeout: args.timeoutMs,
      },
      (res) => {
        const max = args.maxResponseBytes ?? 64 * 1024;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= max) chunks.push(c);
          else res.destroy();
        });
        res.on("close", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", () => {});
      },
    );
    const timer = setTimeout(() => req.destroy(new Error("timeout")), args.timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(args.body);
  });
}
