import { apiKeys } from "./api-keys.js";
import { keys } from "./keys.js";
import { tenantRateSubject } from "./quotas.js";
import { delMany, existsMany, getMany, scanKeys } from "./redis-client.js";
import type { Store } from "./store.js";
import { listTenantMailboxes } from "./tenant-mailboxes.js";

export interface TenantDeleteOptions {
  /**
   * Removes the tenant's queued jobs (every queue, every state) and resolves once none of them is
   * running; returns the ids of the jobs it saw (their `mail.act` progress markers go too).
   * `isTenantJob` knows the ids of its jobs that are gone already (for the queues' event streams).
   */
  purgeJobs?: (tenantId: string, isTenantJob: (jobId: string) => boolean) => Promise<string[]>;
  /** How long to wait for watchers to let go of the tenant's mailboxes (their lease TTL). */
  releaseTimeoutMs?: number;
  /** Polling interval while waiting (tests shorten it). */
  pollMs?: number;
}

export interface TenantDeleteResult {
  mailboxes: number;
  endpoints: number;
  rules: number;
  tokens: number;
  deliveries: number;
  jobs: number;
  /** Every Redis key removed in the final sweep. */
  keys: number;
  /** Leases still held when the wait ended (a watcher that did not let go in time; they expire). */
  leasesLeft: number;
}

// Stands for "any value" in a key built by the key functions; letters only, so no encoding changes it.
const ANY = "QqANYqQ";
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The tenant's key families, as patterns built from the key functions themselves (so a change of
 * layout in keys.ts, such as hash tags, is followed here without a second list to keep in step).
 */
function tenantKeyPatterns(prefix: string, tenantId: string, tokenIds: string[]): RegExp[] {
  const k = keys(prefix);
  const a = apiKeys(prefix);
  const built = [
    k.endpoints(tenantId),
    k.rules(tenantId),
    k.rulesVersion(tenantId),
    k.ruleHealth(tenantId),
    k.cursor(tenantId, ANY, ANY),
    k.status(tenantId, ANY),
    k.lease(tenantId, ANY),
    k.events(tenantId),
    k.deliveries(tenantId),
    k.dead(tenantId, ANY),
    k.circuit(tenantId, ANY),
    k.slots(tenantId, ANY),
    a.tenantTokens(tenantId),
    a.idempotency(tenantId, ANY, ANY),
    a.oauthLock(k.ref(tenantId, ANY)),
    a.secretExpiry(tenantId),
    a.quotas(tenantId),
    a.quotaLock(tenantId),
    a.backfill(tenantId, ANY),
    // The window is a number in the key; ANY stands in for it in the pattern.
    ...[tenantRateSubject(tenantId), ...tokenIds].map((id) => a.rateLimit(id, ANY as unknown as number)),
  ];
  return built.map((key) => new RegExp(`^${escapeRegex(key).replaceAll(ANY, "[^]*")}$`));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Deletes a tenant and everything it owns. In order: its tokens stop working; its mailboxes,
 * endpoints and rules are removed (change notices tell the watchers, which let go of the mailboxes;
 * this waits for their leases); its queued jobs are removed and running ones awaited; then every
 * key of the tenant goes (cursors, folder status, leases, events, delivery records and their
 * indexes, circuit breakers, idempotency records, rate-limit counters, quotas, OAuth state, `mail.act`
 * progress markers) and finally the tenant record. Safe to run again after a partial failure.
 */
export async function deleteTenant(
  store: Store,
  prefix: string,
  tenantId: string,
  opts: TenantDeleteOptions = {},
): Promise<TenantDeleteResult> {
  const { redis, keys: k } = store;
  const a = apiKeys(prefix);
  const result: TenantDeleteResult = {
    mailboxes: 0,
    endpoints: 0,
    rules: 0,
    tokens: 0,
    deliveries: 0,
    jobs: 0,
    keys: 0,
    leasesLeft: 0,
  };

  // 1. Tokens first: nothing of the tenant's can be created while the rest goes.
  const tokens = Object.entries(await redis.hgetall(a.tenantTokens(tenantId))).map(([id, raw]) => ({
    id,
    hash: (JSON.parse(raw) as { hash?: string }).hash,
  }));
  const hashes = tokens.flatMap((t) => (t.hash ? [t.hash] : []));
  if (hashes.length > 0) await redis.hdel(a.tokenHashes, ...hashes);
  result.tokens = tokens.length;

  // 2. Configuration, with change notices so watchers and workers drop it live.
  const mailboxes = await listTenantMailboxes(store, tenantId);
  for (const m of mailboxes) await store.deleteMailbox(tenantId, m.id);
  result.mailboxes = mailboxes.length;
  const endpoints = await redis.hkeys(k.endpoints(tenantId));
  for (const id of endpoints) await store.deleteEndpoint(tenantId, id);
  result.endpoints = endpoints.length;
  const rules = await redis.hkeys(k.rules(tenantId));
  await store.deleteRules(tenantId, rules);
  result.rules = rules.length;
  if (mailboxes.length > 0) await redis.hdel(a.mailboxOAuth, ...mailboxes.map((m) => k.ref(tenantId, m.id)));

  // 3. Watchers let go of the mailboxes (they release the lease after their last status write).
  const deadline = Date.now() + (opts.releaseTimeoutMs ?? 20_000);
  const leaseKeys = mailboxes.map((m) => k.lease(tenantId, m.id));
  while (leaseKeys.length > 0) {
    const held = await existsMany(redis, leaseKeys);
    result.leasesLeft = held;
    if (held === 0 || Date.now() > deadline) break;
    await sleep(opts.pollMs ?? 100);
  }

  // 4. Delivery records (listed by the tenant's index) and the `mail.act` jobs they wait for.
  const deliveryIds = new Set<string>();
  const actJobs = new Set<string>();
  const collect = async () => {
    const ids = await redis.zrange(k.deliveries(tenantId), 0, -1);
    for (const id of endpoints) ids.push(...(await redis.zrange(k.dead(tenantId, id), 0, -1)));
    const fresh = [...new Set(ids)].filter((id) => !deliveryIds.has(id));
    for (let i = 0; i < fresh.length; i += 500) {
      const batch = fresh.slice(i, i + 500);
      const raws = await getMany(
        redis,
        batch.map((id) => k.delivery(id)),
      );
      for (const raw of raws) {
        const rec = raw ? (JSON.parse(raw) as { followUps?: { jobId: string }[] }) : null;
        for (const f of rec?.followUps ?? []) actJobs.add(f.jobId);
      }
      for (const id of batch) deliveryIds.add(id);
    }
  };
  await collect();

  // 5. Jobs: queued ones removed, running ones awaited (they find nothing left to work on).
  const mailboxJob = new RegExp(`^(${mailboxes.map((m) => escapeRegex(m.id)).join("|")})~`);
  const isTenantJob = (id: string) =>
    deliveryIds.has(id) || actJobs.has(id) || (mailboxes.length > 0 && mailboxJob.test(id));
  const jobIds = opts.purgeJobs ? await opts.purgeJobs(tenantId, isTenantJob) : [];
  result.jobs = jobIds.length;
  // A purged `mail.act` job may have left progress markers (other ids have none: deleting is a no-op).
  for (const id of jobIds) actJobs.add(id);
  // Jobs that were running may have written records meanwhile.
  await collect();
  const records = [...deliveryIds].map((id) => k.delivery(id));
  for (let i = 0; i < records.length; i += 500)
    result.deliveries += await delMany(redis, records.slice(i, i + 500));
  const markers = [...actJobs].map((id) => k.actSteps(id));
  for (let i = 0; i < markers.length; i += 500) await delMany(redis, markers.slice(i, i + 500));

  // 6. Every other key of the tenant, found by its family's pattern.
  const patterns = tenantKeyPatterns(
    prefix,
    tenantId,
    tokens.map((t) => t.id),
  );
  await scanKeys(redis, `${prefix}:*`, async (found) => {
    const mine = found.filter((key) => patterns.some((p) => p.test(key)));
    result.keys += await delMany(redis, mine);
  });

  // 7. The tenant itself.
  // Separate slots on Cluster: the record goes last, so a half-deleted tenant can be deleted again.
  await redis.srem(k.tenants, tenantId);
  await redis.hdel(a.tenantOutbound, tenantId);
  await redis.hdel(a.tenantRecords, tenantId);
  return result;
}
