import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

/** Serves a fetch handler (the API app) over real HTTP on a free loopback port. */
export async function listenHttp(
  fetch: (req: Request) => Response | Promise<Response>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A browser keeps connections alive; close them so the server stops now.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
