import type { EndpointView } from "@mailhook/api-schema";
import { useState } from "preact/hooks";
import {
  ACTION_TYPES,
  ATTACHMENT_CHOICES,
  type DraftAction,
  flagList,
  newAction,
  parseFlagList,
  withKey,
} from "../../src/action-model.js";

function ActionFields(props: {
  a: DraftAction;
  n: number;
  endpoints: EndpointView[];
  disabled: boolean;
  set: (a: DraftAction) => void;
}) {
  const { a, n, disabled, set } = props;
  // The first action keeps plain labels; later ones say which action they belong to.
  const l = (what: string) => (n === 1 ? what : `${what} (action ${n})`);
  const include = (a.include ?? {}) as Record<string, unknown>;
  const inc = (k: string, v: unknown) => set({ ...a, include: { ...include, [k]: v } });
  const check = (k: string, label: string, dflt: boolean) => (
    <label>
      <input
        type="checkbox"
        checked={(include[k] as boolean | undefined) ?? dflt}
        disabled={disabled}
        onChange={(e) => inc(k, e.currentTarget.checked)}
      />
      {l(label)}
    </label>
  );
  if (a.type === "webhook")
    return (
      <>
        <label>
          {l("Webhook endpoint")}
          <select
            value={String(a.endpoint ?? "")}
            disabled={disabled}
            onChange={(e) => set({ ...a, endpoint: e.currentTarget.value })}
          >
            <option value="">choose…</option>
            {props.endpoints.map((ep) => (
              <option key={ep.id} value={ep.id}>
                {ep.id} ({ep.url})
              </option>
            ))}
          </select>
        </label>
        {check("text", "Include text", true)}
        {check("html", "Include HTML", false)}
        {check("headers", "Include all headers", false)}
        {check("raw", "Include raw source", false)}
        <label>
          {l("Attachments")}
          <select
            value={String(include.attachments ?? "metadata")}
            disabled={disabled}
            onChange={(e) => inc("attachments", e.currentTarget.value)}
          >
            {ATTACHMENT_CHOICES.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
      </>
    );
  const after = (
    <label>
      <input
        type="checkbox"
        checked={a.after === "webhook"}
        disabled={disabled}
        onChange={(e) => set(withKey(a, "after", e.currentTarget.checked ? "webhook" : undefined))}
      />
      {l("Only after the webhook was delivered")}
    </label>
  );
  if (a.type === "move" || a.type === "copy")
    return (
      <>
        <label>
          {l(a.type === "move" ? "Move to folder" : "Copy to folder")}
          <input
            value={String(a.to ?? "")}
            disabled={disabled}
            onInput={(e) => set({ ...a, to: e.currentTarget.value })}
          />
        </label>
        {after}
      </>
    );
  const flags = (k: "add" | "remove", label: string) => (
    <label>
      {l(label)}
      <input
        value={flagList(a[k])}
        disabled={disabled}
        onInput={(e) => set(withKey(a, k, parseFlagList(e.currentTarget.value)))}
      />
    </label>
  );
  if (a.type === "flag")
    return (
      <>
        {flags("add", "Add flags (comma-separated)")}
        {flags("remove", "Remove flags (comma-separated)")}
        {after}
      </>
    );
  return (
    <>
      <label>
        <input
          type="checkbox"
          checked={a.expunge === true}
          disabled={disabled}
          onChange={(e) => set(withKey(a, "expunge", e.currentTarget.checked ? true : undefined))}
        />
        {l("Expunge at once (else to Trash)")}
      </label>
      {after}
    </>
  );
}

/**
 * The rule's actions outside the YAML view: webhooks with their `include`, and the IMAP actions
 * (move, copy, flag, delete) with ack-then-act (`after: webhook`). The rule language validates
 * the result as you type, like the conditions.
 */
export function ActionsEditor(props: {
  actions: DraftAction[];
  endpoints: EndpointView[];
  disabled: boolean;
  onChange: (actions: DraftAction[]) => void;
}) {
  const { actions, disabled, onChange } = props;
  const [adding, setAdding] = useState<string>("move");
  const setAt = (i: number, a: DraftAction) => onChange(actions.map((x, j) => (j === i ? a : x)));
  return (
    <ol class="actions" aria-label="Actions">
      {actions.map((a, i) => (
        <li key={i} class="row">
          <label>
            {i === 0 ? "Action" : `Action ${i + 1}`}
            <select
              value={a.type}
              disabled={disabled}
              onChange={(e) => setAt(i, newAction(e.currentTarget.value))}
            >
              {ACTION_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <ActionFields
            a={a}
            n={i + 1}
            endpoints={props.endpoints}
            disabled={disabled}
            set={(x) => setAt(i, x)}
          />
          <button
            type="button"
            disabled={disabled || actions.length === 1}
            aria-label={`Remove action ${i + 1}`}
            title={actions.length === 1 ? "a rule needs at least one action" : undefined}
            onClick={() => onChange(actions.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </li>
      ))}
      <li class="row">
        <label>
          New action
          <select value={adding} disabled={disabled} onChange={(e) => setAdding(e.currentTarget.value)}>
            {ACTION_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={disabled} onClick={() => onChange([...actions, newAction(adding)])}>
          Add action
        </button>
      </li>
    </ol>
  );
}
