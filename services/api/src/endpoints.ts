import type { Endpoint } from "@mailhook/store";
import { checkDestination, isReservedHeader } from "@mailhook/webhook";
import { ApiError, validationFailed } from "./errors.js";
import type { Services } from "./services.js";

/** The SSRF guard on save: the same check delivery makes, so a refused URL is refused now, not later. */
export async function checkUrl(svc: Services, url: string): Promise<void> {
  const dest = await checkDestination(url, {
    allow: svc.deps.webhookAllow,
    ...(svc.deps.lookup ? { lookup: svc.deps.lookup } : {}),
  });
  if (!dest.ok)
    throw new ApiError(422, "DESTINATION_REFUSED", `webhook URL refused: ${dest.reason}`, [
      { path: "body.url", reason: dest.reason },
    ]);
}

export function checkHeaders(headers: Record<string, string>): void {
  const reserved = Object.keys(headers).filter(isReservedHeader);
  if (reserved.length)
    throw validationFailed(
      reserved.map((h) => ({
        path: `body.headers.${h}`,
        reason: "reserved: mailhook sets this header itself",
      })),
    );
}

export async function loadEndpoint(svc: Services, tenantId: string, id: string): Promise<Endpoint> {
  const e = await svc.deps.store.getEndpoint(tenantId, id);
  if (!e) throw new ApiError(404, "NOT_FOUND", `endpoint ${JSON.stringify(id)} not found`);
  return e;
}
