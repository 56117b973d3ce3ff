import type { Rule } from "@mailhook/rules";
import type { Mailbox } from "./records.js";
import type { Store } from "./store.js";

/** How long a secret replaced in the config file keeps signing next to the new one. */
export const SECRET_OVERLAP_SEC = 24 * 3600;

export interface SeedInput {
  tenant: string;
  mailboxes: Omit<Mailbox, "tenantId" | "managed" | "updatedAt">[];
  endpoints: {
    id: string;
    url: string;
    secret?: string | undefined;
    headers: Record<string, string>;
    enabled: boolean;
  }[];
  rules: Rule[];
}

export interface SeedResult {
  mailboxes: number;
  endpoints: number;
  rules: number;
  removed: number;
  /** Endpoint ids whose signing secret was generated now (the file gave none and the store had none). */
  generatedSecrets: string[];
}

/**
 * Writes the resources of a config file into the store, marked `managed: "file"`. Resources the
 * file no longer lists, and that came from the file, are removed; resources created through the API
 * are never touched. Idempotent: every service may seed at start.
 */
export async function seedFromConfig(
  store: Store,
  input: SeedInput,
  generateSecret: () => string,
): Promise<SeedResult> {
  const now = new Date().toISOString();
  const tenantId = input.tenant;
  let removed = 0;
  const generatedSecrets: string[] = [];

  const existingMailboxes = await store.listMailboxes(tenantId);
  const fileMailboxIds = new Set(input.mailboxes.map((m) => m.id));
  for (const m of input.mailboxes) {
    const prev = existingMailboxes.find((x) => x.id === m.id);
    const next: Mailbox = { ...m, tenantId, managed: "file", updatedAt: now };
    if (prev && sameMailbox(prev, next)) continue;
    await store.putMailbox(next);
  }
  for (const m of existingMailboxes) {
    if (m.managed === "file" && !fileMailboxIds.has(m.id)) {
      await store.deleteMailbox(tenantId, m.id);
      removed++;
    }
  }

  const existingEndpoints = await store.listEndpoints(tenantId);
  const fileEndpointIds = new Set(input.endpoints.map((e) => e.id));
  for (const e of input.endpoints) {
    const prev = existingEndpoints.find((x) => x.id === e.id);
    // A secret changed in the file is a rotation: the new one signs at once, the old ones keep
    // signing alongside for SECRET_OVERLAP_SEC so receivers can switch without dropping requests.
    let secrets: string[];
    let rotateFrom: string[] = [];
    if (e.secret) {
      secrets = [e.secret];
      if (prev && prev.secrets[0] !== e.secret) rotateFrom = prev.secrets.filter((s) => s !== e.secret);
      else if (prev) secrets = prev.secrets;
    } else if (prev && prev.secrets.length > 0) secrets = prev.secrets;
    else {
      secrets = [generateSecret()];
      generatedSecrets.push(e.id);
    }
    // A file edit re-enables an endpoint only when the file itself changed its enabled flag.
    const enabled = prev && prev.enabled === false && prev.disabledReason && e.enabled ? false : e.enabled;
    const next = {
      tenantId,
      id: e.id,
      url: e.url,
      secrets,
      headers: e.headers,
      enabled,
      disabledReason: enabled ? null : (prev?.disabledReason ?? "disabled in config"),
      managed: "file" as const,
      updatedAt: now,
    };
    if (
      prev &&
      prev.url === next.url &&
      JSON.stringify(prev.secrets) === JSON.stringify(next.secrets) &&
      JSON.stringify(prev.headers) === JSON.stringify(next.headers) &&
      prev.enabled === next.enabled &&
      prev.managed === "file"
    )
      continue;
    if (rotateFrom.length > 0 && prev) {
      await store.putEndpoint({ ...next, secrets: prev.secrets, retiring: prev.retiring ?? [] });
      await store.rotateEndpointSecret(tenantId, e.id, e.secret!, SECRET_OVERLAP_SEC);
    } else {
      await store.putEndpoint({ ...next, retiring: prev?.retiring ?? [] });
    }
  }
  for (const e of existingEndpoints) {
    if (e.managed === "file" && !fileEndpointIds.has(e.id)) {
      await store.deleteEndpoint(tenantId, e.id);
      removed++;
    }
  }

  const existingRules = await store.listRules(tenantId);
  const fileRuleIds = new Set(input.rules.map((r) => r.id));
  const fileRules = input.rules.map((r) => ({ ...r, managed: "file" as const }));
  const changed = fileRules.filter((r) => {
    const prev = existingRules.find((x) => x.id === r.id);
    return !prev || JSON.stringify(prev) !== JSON.stringify(r);
  });
  await store.putRules(tenantId, changed);
  const stale = existingRules
    .filter((r) => (r as Rule & { managed?: string }).managed === "file" && !fileRuleIds.has(r.id))
    .map((r) => r.id);
  await store.deleteRules(tenantId, stale);
  removed += stale.length;

  return {
    mailboxes: input.mailboxes.length,
    endpoints: input.endpoints.length,
    rules: input.rules.length,
    removed,
    generatedSecrets,
  };
}

function sameMailbox(a: Mailbox, b: Mailbox): boolean {
  const strip = ({ updatedAt: _u, ...rest }: Mailbox) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
