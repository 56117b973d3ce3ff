/** The parts of an imapflow LIST entry that say what a folder is for. */
export interface ListedFolder {
  path: string;
  specialUse?: string | undefined;
  specialUseSource?: "user" | "extension" | "name" | undefined;
}

/**
 * The folder's SPECIAL-USE attribute as the server announced it (RFC 6154 LIST attribute or
 * XLIST), or null. imapflow also fills `specialUse` from well-known names ("Trash", "Sent Items",
 * "Papierkorb", …; `specialUseSource: "name"`): those are guesses, and mailhook never acts on a
 * guess — a Courier folder called Trash is just a folder. INBOX keeps `\Inbox`: that name is the
 * protocol's own (RFC 3501), not a guess.
 */
export function announcedSpecialUse(folder: ListedFolder): string | null {
  if (folder.path.toUpperCase() === "INBOX") return "\\Inbox";
  return folder.specialUse && folder.specialUseSource === "extension" ? folder.specialUse : null;
}
