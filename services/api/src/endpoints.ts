import type { Endpoint } from "@mailhook/store";
import { customHeaderProblem } from "@mailhook/webhook";
import { ApiError, validationFailed } from "./errors.js";
import { destinationRefused } from "./mailboxes.js";
import type { Services } from "./services.js";

/**
 * The outbound policy on save: the same check every delivery attempt makes again (DNS may change
 * in between), so a refused URL is refused now, not later. Unresolvable names are refused too.
 */
export async function checkUrl(svc: Services, tenantId: string, url: string): Promise<void> {
  const dest = await svc.outbound.checkUrl(url, { tenantId });
  if (!dest.ok) throw destinationRefused(svc, "webhook URL", dest, "body.url");
}

/** Signature, framing, hop-by-hop and forwarding headers are refused with a 400 naming each. */
export function checkHeaders(headers: Record<string, string>): void {
  const refused = Object.keys(headers).flatMap((h) => {
    const reason = customHeaderProblem(h);
    return reason ? [{ path: `body.headers.${h}`, reason: `${h}: ${reason}` }] : [];
  });
  if (refused.length) throw validationFailed(refused);
}

export async function loadEndpoint(svc: Services, tenantId: string, id: string): Promise<Endpoint> {
  const e = await svc.deps.store.getEndpoint(tenantId, id);
  if (!e) throw new ApiError(404, "NOT_FOUND", `endpoint ${JSON.stringify(id)} not found`);
  return e;
}
