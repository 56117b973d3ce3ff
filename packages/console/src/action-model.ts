/** An action as the draft holds it (the rule language validates it; see docs/rules.md#actions). */
export type DraftAction = Record<string, unknown> & { type: string };

export const ACTION_TYPES = ["webhook", "move", "copy", "flag", "delete"] as const;
export const ATTACHMENT_CHOICES = ["none", "metadata", "content"] as const;

/** A new action of a type, with the rule language's defaults spelled out. */
export function newAction(type: string): DraftAction {
  switch (type) {
    case "webhook":
      return { type, endpoint: "" };
    case "move":
    case "copy":
      return { type, to: "" };
    case "flag":
      return { type, add: ["\\Seen"] };
    default:
      return { type: "delete" };
  }
}

/** A flag list as typed in one field. */
export const flagList = (v: unknown): string => (Array.isArray(v) ? v.join(", ") : "");
/** The typed field as a flag list; undefined when empty (the key is then left out). */
export const parseFlagList = (s: string): string[] | undefined => {
  const xs = s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  return xs.length ? xs : undefined;
};
/** The key set, or removed when the value is undefined (the YAML view then shows no empty keys). */
export function withKey(a: DraftAction, k: string, v: unknown): DraftAction {
  const next = { ...a };
  if (v === undefined) delete next[k];
  else next[k] = v;
  return next;
}
