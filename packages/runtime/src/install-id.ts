import type { RedisClient } from "@mailhook/store";

/** Another mailhook installation already uses this Redis under the same prefix. */
export class InstallationConflict extends Error {
  override readonly name = "InstallationConflict";
  readonly code = "install_conflict";
  /** Starting again against the same Redis and prefix fails the same way. */
  readonly retryable = false;
}

/**
 * Claims `<prefix>:install` for `installId` (SET NX) and refuses to go on when it holds another
 * installation's id: two installations sharing a prefix would share tenants, queues and leases.
 * One key, so it works on Redis Cluster too. Runs before anything else touches the prefix.
 */
export async function claimInstallation(
  redis: RedisClient,
  opts: { prefix: string; installId: string; redisUrl: string },
): Promise<void> {
  const key = `${opts.prefix}:install`;
  await redis.set(key, opts.installId, "NX");
  const holder = await redis.get(key);
  if (holder === opts.installId) return;
  const where = opts.redisUrl.replace(/\/\/[^@]*@/, "//***@");
  throw new InstallationConflict(
    `Redis at ${where} already holds another mailhook installation under the prefix "${opts.prefix}" ` +
      `(install id ${holder}, this one is ${opts.installId}). Set MAILHOOK_PREFIX to a prefix of its own ` +
      `(e.g. MAILHOOK_PREFIX=${opts.prefix}2), or REDIS_URL to another Redis.`,
  );
}
