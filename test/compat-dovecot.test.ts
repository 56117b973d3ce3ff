import { dovecotAsImapServer, startDovecot } from "@mailhook/testing";
import { compatSuite } from "./compat/scenarios.js";

// The reference server: MOVE, SPECIAL-USE, CONDSTORE, [UIDNEXT] on SELECT, IDLE push after ~0.5 s.
compatSuite("dovecot", async () => dovecotAsImapServer(await startDovecot()), null);
