import { parseFullMessage } from "@mailhook/mime";
import { deliveryId, messageKey } from "@mailhook/model";
import { type CompiledRules, compileRules, evaluateRules } from "@mailhook/rules";
import { buildPayload, signPayload } from "@mailhook/webhook";
import { ImapFlow } from "imapflow";
import { benchRules } from "../support/rules.js";

export interface NaiveMailbox {
  id: string;
  host: string;
  port: number;
  user: string;
  pass: string;
  folder: string;
}

export interface NaiveOptions {
  /** Base URL; deliveries go to `${url}/naive/<endpoint id>`. */
  url: string;
  secret: string;
  /** "backlog": everything in the folder; "live": only what arrives after connecting. */
  mode: "backlog" | "live";
}

/**
 * The baseline: what most IMAP triggers do. One IDLE connection per mailbox; on connect and on
 * every EXISTS, for each new UID in turn: FETCH the full source, parse it with mailparser's
 * simpleParser (through parseFullMessage, so the MailMessage and thus the rule results are the
 * same as mailhook's), match the same rules, and POST each signed webhook, waiting for the answer.
 * In-process, nothing durable, no queue: the cheapest honest way to do the same work.
 */
export class NaiveTrigger {
  private readonly compiled: CompiledRules = compileRules(benchRules());
  private readonly clients: ImapFlow[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();
  private stopped = false;
  posted = 0;

  constructor(private readonly opts: NaiveOptions) {}

  /** Connects every mailbox; resolves when all are selected (and, in live mode, idling). */
  async start(mailboxes: NaiveMailbox[]): Promise<void> {
    await Promise.all(
      mailboxes.map(async (m) => {
        const client = new ImapFlow({
          host: m.host,
          port: m.port,
          secure: false,
          doSTARTTLS: false,
          auth: { user: m.user, pass: m.pass },
          logger: false,
          disableAutoIdle: true,
        });
        client.on("error", () => {});
        await client.connect();
        this.clients.push(client);
        const box = await client.mailboxOpen(m.folder);
        const uidValidity = Number(box.uidValidity);
        const last = this.opts.mode === "live" ? Number(box.uidNext) - 1 : 0;
        this.loops.push(this.watch(client, m, uidValidity, last));
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    await Promise.allSettled(this.loops);
    await Promise.allSettled(this.clients.map((c) => c.logout()));
  }

  private async watch(client: ImapFlow, m: NaiveMailbox, uidValidity: number, from: number): Promise<void> {
    let last = from;
    let dirty = false;
    let wake: (() => void) | null = null;
    client.on("exists", () => {
      dirty = true;
      wake?.();
    });
    while (!this.stopped) {
      dirty = false;
      const found = await client.search({ uid: `${last + 1}:*` }, { uid: true });
      const uids = (found || []).filter((u) => u > last).sort((a, b) => a - b);
      for (const uid of uids) {
        if (this.stopped) return;
        await this.processOne(client, m, uidValidity, uid);
        last = uid;
      }
      if (dirty || this.stopped) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.wakers.add(resolve);
        void client.idle().catch(() => resolve());
      });
      if (wake) this.wakers.delete(wake);
      wake = null;
    }
  }

  private async processOne(
    client: ImapFlow,
    m: NaiveMailbox,
    uidValidity: number,
    uid: number,
  ): Promise<void> {
    const fetched = await client.fetchOne(
      String(uid),
      { uid: true, flags: true, internalDate: true, source: true },
      { uid: true },
    );
    if (fetched === false || !fetched.source) return;
    const message = await parseFullMessage(fetched.source, {
      mailboxId: m.id,
      folder: m.folder,
      uidValidity,
      uid,
      flags: [...(fetched.flags ?? [])],
      ...(fetched.internalDate ? { internalDate: new Date(fetched.internalDate) } : {}),
    });
    const key = messageKey(m.id, m.folder, uidValidity, uid);
    for (const match of evaluateRules(this.compiled, message)) {
      for (const action of match.rule.actions) {
        if (action.type !== "webhook") continue;
        const id = deliveryId(key, match.rule.id, action.endpoint);
        const body = JSON.stringify(
          buildPayload({
            deliveryId: id,
            now: new Date(),
            tenant: "default",
            mailbox: { id: m.id, address: `${m.user}@bench.test`, folder: m.folder },
            message,
            rule: { id: match.rule.id, name: match.rule.name },
            extracted: match.extracted,
            include: action.include,
          }),
        );
        const timestamp = Math.floor(Date.now() / 1000);
        const post = () =>
          fetch(`${this.opts.url}/naive/${action.endpoint}`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "webhook-id": id,
              "webhook-timestamp": String(timestamp),
              "webhook-signature": signPayload({ id, timestamp, body, secrets: [this.opts.secret] }),
            },
            body,
          });
        // A keep-alive socket the receiver closed at the same moment fails the request before it
        // is sent ("other side closed"); any client retries that, and one such race used to end a
        // whole baseline run in a timeout.
        let res: Response | undefined;
        for (let attempt = 1; !res; attempt++) {
          try {
            res = await post();
          } catch (err) {
            if (attempt >= 3) throw err;
          }
        }
        await res.arrayBuffer();
        this.posted++;
      }
    }
  }
}
