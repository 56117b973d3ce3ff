import { ConfigError, type ConfigProblem, type LoadedConfig } from "@mailhook/config";
import type { Logger } from "@mailhook/log";
import type { OutboundPolicy } from "@mailhook/net";

/**
 * Asks the outbound policy about every endpoint URL and IMAP server of a config file before it is
 * seeded, so a destination that would be refused stops the start with a ConfigError naming the
 * entry and the setting that allows it, instead of failing every delivery later. A name that does
 * not resolve right now only warns: DNS may answer by the time mail arrives.
 */
export async function checkConfigDestinations(
  config: LoadedConfig | null,
  outbound: OutboundPolicy,
  file: string,
  log: Logger,
): Promise<void> {
  if (!config) return;
  const problems: ConfigProblem[] = [];
  const opts = { tenantId: config.tenant };
  const verdicts = await Promise.all([
    ...config.endpoints.map(
      async (e, i) => [`endpoints[${i}].url`, await outbound.checkUrl(e.url, opts)] as const,
    ),
    ...config.mailboxes.map(
      async (m, i) =>
        [
          `mailboxes[${i}].host`,
          await outbound.checkImap({ host: m.host, port: m.port, tls: m.tls, tlsVerify: m.tlsVerify }, opts),
        ] as const,
    ),
  ]);
  for (const [path, verdict] of verdicts) {
    if (verdict.ok) continue;
    if (verdict.retryable)
      log.warn({ path, reason: verdict.reason }, "config destination does not resolve yet");
    else problems.push({ file, path, reason: verdict.message });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
