import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface CertPair {
  cert: string;
  key: string;
}

// One RSA key per test process: generating it costs more than starting Dovecot itself.
let cached: Promise<CertPair> | undefined;

/** A self-signed certificate for localhost / 127.0.0.1, valid for two days. */
export function selfSignedCert(): Promise<CertPair> {
  cached ??= generate().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function generate(): Promise<CertPair> {
  const dir = await mkdtemp(join(tmpdir(), "mailhook-cert-"));
  try {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
    ]);
    return { cert: await readFile(certPath, "utf8"), key: await readFile(keyPath, "utf8") };
  } catch (err) {
    throw new Error(
      `openssl could not create a test certificate (run: node scripts/ensure-dovecot.mjs): ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
