import type { Logger } from "@mailhook/log";
import type { ApiToken } from "@mailhook/store";

/** Who is calling: the operator (admin token from the environment) or one tenant's token. */
export type Principal = { kind: "admin" } | { kind: "tenant"; token: ApiToken };

/** What middleware puts on the Hono context for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    principal: Principal | null;
    /** The caller's address (socket, or X-Forwarded-For behind a trusted proxy): failed logins count per address. */
    clientAddress: string;
  };
}
