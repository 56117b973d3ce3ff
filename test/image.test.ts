/**
 * The container image end to end: api, watcher and worker as containers (host network) against the
 * harness' Redis, Dovecot and receiver. Run by infra/test-image.sh, which builds the image and
 * sets MAILHOOK_TEST_IMAGE; skipped otherwise (no container engine in a plain `npm test`). `.ci/run`
 * runs that script after the suite (root + apt): 28 min at most measured from an empty cache, the
 * image build nearly all of it (docs/deploy.md, "Container image").
 */
import { execFile } from "node:child_process";
import { chmodSync } from "node:fs";
import { dirname } from "node:path";
import { promisify } from "node:util";
import { generateKeySpec } from "@mailhook/store";
import { freePort, makeMail } from "@mailhook/testing";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import { writeMailboxConfig } from "./support/process.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const IMAGE = process.env.MAILHOOK_TEST_IMAGE;
const DOCKER = process.env.MAILHOOK_TEST_DOCKER ?? "docker";
const run = promisify(execFile);
const docker = async (...args: string[]) =>
  (await run(DOCKER, args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
const containers: string[] = [];
afterAll(async () => {
  if (containers.length > 0) await docker("rm", "-f", ...containers).catch(() => "");
});

describe.skipIf(!IMAGE)("the container image", () => {
  const world = useWorld();

  it("runs api + watcher + worker, delivers a verified webhook, and stops each cleanly on docker stop", async () => {
    const user = await world.dovecot.createUser("image");
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const config = writeMailboxConfig({
      imapPort: world.dovecot.port,
      user: user.user,
      url: `${world.receiver.url}/image`,
      withSecret: true,
    });
    // The services run as uid 10001: the file must be readable by others.
    chmodSync(dirname(config), 0o755);
    chmodSync(config, 0o644);
    const [apiPort, watcherHealth, workerHealth] = [await freePort(), await freePort(), await freePort()];
    const env = {
      REDIS_URL: world.redis.url,
      MAILHOOK_PREFIX: `img${Date.now()}`,
      MAILHOOK_ENCRYPTION_KEYS: generateKeySpec("k1"),
      MAILHOOK_CONFIG: "/config/mailhook.yaml",
      TEST_IMAP_PASSWORD: user.pass,
      TEST_WEBHOOK_SECRET: secret,
      WEBHOOK_ALLOW: "127.0.0.1/32",
      IMAP_ALLOW: "127.0.0.1/32",
      API_PORT: String(apiPort),
    };
    const start = async (name: string, extra: Record<string, string>) => {
      const id = await docker(
        "run",
        "-d",
        "--network",
        "host",
        "--health-interval",
        "2s",
        "-v",
        `${config}:/config/mailhook.yaml:ro`,
        ...Object.entries({ ...env, ...extra }).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
        IMAGE!,
        `services/${name}/dist/main.js`,
      );
      containers.push(id);
      return id;
    };
    const api = await start("api", {});
    const watcher = await start("watcher", { HEALTH_PORT: String(watcherHealth) });
    const worker = await start("worker", { HEALTH_PORT: String(workerHealth) });
    const all = { api, watcher, worker };

    for (const [name, id] of Object.entries(all)) {
      expect(await docker("inspect", "-f", "{{.Config.User}}", id)).toBe("10001");
      // No CA bundle parsed at every start (infra/Dockerfile), and V8 takes the build's code cache.
      expect(await docker("inspect", "-f", "{{json .Config.Env}}", id)).toContain('"NODE_EXTRA_CA_CERTS="');
      expect(await docker("run", "--rm", IMAGE!, `services/${name}/dist/main.js`, "--check-code-cache")).toBe(
        "accepted",
      );
      await waitUntil(
        async () => (await docker("inspect", "-f", "{{.State.Health.Status}}", id)) === "healthy",
        90_000,
        `the ${name} container to report healthy`,
      );
    }
    expect((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status).toBe(200);
    await waitUntil(
      async () => /watching folder/.test(await docker("logs", watcher)),
      30_000,
      "IDLE on INBOX",
    );

    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "from the image" }));
    await waitUntil(() => world.receiver.requests.some((r) => r.path === "/image"), 30_000, "the webhook");
    const hook = world.receiver.requests.find((r) => r.path === "/image")!;
    const payload = new Webhook(secret).verify(hook.body, hook.headers) as { message: { subject: string } };
    expect(payload.message.subject).toBe("from the image");

    // SIGTERM to PID 1 (node): drained and exited 0 well before docker's SIGKILL (exit 137).
    for (const [name, id] of Object.entries(all)) {
      const t0 = Date.now();
      await docker("stop", "-t", "30", id);
      expect(await docker("inspect", "-f", "{{.State.ExitCode}}", id), `${name} exit code`).toBe("0");
      expect(Date.now() - t0, `${name} stop time`).toBeLessThan(30_000);
      expect(await docker("logs", id)).toContain('"msg":"shutting down"');
    }
    expect(await docker("logs", watcher)).toMatch(/"msg":"released mailbox(es)?"/);
    // No secret reaches the container logs.
    const logs = (await Promise.all(Object.values(all).map((id) => run(DOCKER, ["logs", id])))).map(
      (r) => r.stdout + r.stderr,
    );
    for (const l of logs) {
      expect(l).not.toContain(user.pass);
      expect(l).not.toContain(secret);
    }
  });
});
