import type { TokenInfo } from "@mailhook/api-schema";
import { createClient, type MailhookClient } from "@mailhook/client";

const KEY = "mailhook.token";

/** The token lives in this tab's sessionStorage only: closing the tab forgets it. */
export const storedToken = (): string | null => sessionStorage.getItem(KEY);
export const storeToken = (t: string) => sessionStorage.setItem(KEY, t);
export const forgetToken = () => sessionStorage.removeItem(KEY);

export interface Session {
  client: MailhookClient;
  info: TokenInfo;
  /** Why changes are refused, or null when they are allowed. */
  readOnlyReason: string | null;
}

/** Same origin as the API: no base URL, no CORS. */
export async function openSession(token: string): Promise<Session> {
  const client = createClient({ baseUrl: "", token });
  const info = await client.token();
  const readOnlyReason =
    info.kind === "admin"
      ? "the admin token manages tenants only; sign in with a tenant token to change things"
      : info.readOnly
        ? "this token is read-only"
        : null;
  return { client, info, readOnlyReason };
}

/** Why a resource cannot be changed here: the session's reason, or that mailhook.yaml owns it. */
export function lockReason(s: Session, managed: "file" | "api" | undefined): string | null {
  if (s.readOnlyReason) return s.readOnlyReason;
  if (managed === "file") return "managed by mailhook.yaml: change it in the file";
  return null;
}
