// `npm start -- --demo`: starts scripts/demo/world.ts (a local Dovecot with a demo mailbox and a
// receiver that verifies and prints webhooks), writes a mailhook.yaml for it, and allow-lists
// only the loopback address those two listen on.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root, say } from "./bootstrap.mjs";
import { forwardLines } from "./local-redis.mjs";

/** Starts the demo world under `sup` (stopped with Redis, after the services); fills in `env`. */
export async function startDemo(sup, env, dataDir) {
  const dir = join(dataDir, "demo");
  mkdirSync(dir, { recursive: true });
  say("demo: starting a local Dovecot with a demo mailbox and a webhook receiver");
  const child = sup.run(
    "demo",
    process.execPath,
    ["--import", "tsx", join(root, "scripts", "demo", "world.ts")],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
    0,
  );
  const demo = await new Promise((resolve) => {
    forwardLines(child.stdout, (line) => resolve(JSON.parse(line)));
  });
  writeFileSync(join(dir, "demo.json"), `${JSON.stringify(demo)}\n`, { mode: 0o600 });
  const config = join(dir, "mailhook.yaml");
  writeFileSync(
    config,
    `# Written by npm start -- --demo.
version: 1
mailboxes:
  - id: demo
    host: 127.0.0.1
    port: ${demo.imapPort}
    tls: none
    user: ${demo.user}
    password: \${DEMO_IMAP_PASSWORD}
endpoints:
  - id: receiver
    url: ${demo.receiver}
    secret: \${DEMO_WEBHOOK_SECRET}
rules:
  - id: everything
    name: Every message to the demo receiver
    actions: [{ type: webhook, endpoint: receiver }]
`,
  );
  Object.assign(env, {
    MAILHOOK_CONFIG: config,
    DEMO_IMAP_PASSWORD: demo.pass,
    DEMO_WEBHOOK_SECRET: demo.secret,
    // Only what the demo started: both listen on 127.0.0.1.
    IMAP_ALLOW: "127.0.0.1/32",
    WEBHOOK_ALLOW: "127.0.0.1/32",
  });
  return demo;
}

/** The three commands, printed once everything listens. */
export function printDemoCommands(demo, apiUrl) {
  say("demo: try it in another terminal:");
  say("  1. npm run demo:send                      # APPENDs a test message to the demo mailbox");
  say(`  2. curl -s ${demo.receiver}     # the last webhook, with its signature check`);
  say(`  3. curl -s ${apiUrl}/metrics | grep mailhook_jobs   # the queues it went through`);
  say("  (each verified webhook is also printed here as [demo] verified webhook …)");
}
