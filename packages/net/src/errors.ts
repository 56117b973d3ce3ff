const CERT_CODES =
  /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

/**
 * What a tenant may be told about a failed connection to a destination the policy allowed: the
 * same words whether the port was closed, filtered, reset or spoke something else, so the answer
 * cannot serve as a port scanner, and never an address. Only a certificate problem is named (the
 * fix is on the tenant's side). The operator's log keeps the full error.
 */
export function describeConnectError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === "string" && CERT_CODES.test(code))
    return `connection failed: the server's TLS certificate was not accepted (${code})`;
  return "connection failed";
}
