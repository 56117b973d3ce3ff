import type { EndpointView } from "@mailhook/api-schema";
import type { Endpoint } from "@mailhook/store";
import { customHeaderProblem } from "@mailhook/webhook";
import { ApiError, validationFailed } from "./errors.js";
import { destinationRefused } from "./mailboxes.js";
import type { Services } from "./services.js";
import { endpointView } from "./views.js";

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

/** The endpoint as the API shows it, with its circuit breaker's state read from the shared gate. */
export async function viewOfEndpoint(svc: Services, e: Endpoint): Promise<EndpointView> {
  return endpointView(e, await svc.gate.state(e.tenantId, e.id));
}
