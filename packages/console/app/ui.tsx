import { MailhookError } from "@mailhook/client";
import type { ConditionExplanation } from "@mailhook/rules";
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

/** A failure as the API put it: message, every detail with its path, code and request id. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof MailhookError)
    return (
      <div class="error" role="alert">
        <strong>{error.message}</strong>
        {error.details.length > 0 && (
          <ul>
            {error.details.map((d) => (
              <li key={d.path}>
                <code>{d.path}</code>: {d.reason}
              </li>
            ))}
          </ul>
        )}
        <div class="muted">
          {error.code}
          {error.requestId ? ` · request ${error.requestId}` : ""}
        </div>
      </div>
    );
  return (
    <div class="error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

/**
 * A button that can be refused: when `reason` is set it is disabled and says why (tooltip and an
 * accessible description), so a read-only token sees what it cannot do and the reason.
 */
export function Action(props: {
  reason?: string | null;
  onClick: () => void | Promise<void>;
  children: ComponentChildren;
  primary?: boolean;
  label?: string;
}) {
  const [busy, setBusy] = useState(false);
  const refused = props.reason ?? null;
  return (
    <button
      type="button"
      class={props.primary ? "primary" : undefined}
      disabled={refused !== null || busy}
      title={refused ?? undefined}
      aria-label={props.label && refused ? `${props.label} (${refused})` : props.label}
      onClick={async () => {
        setBusy(true);
        try {
          await props.onClick();
        } finally {
          setBusy(false);
        }
      }}
    >
      {props.children}
    </button>
  );
}

/** Loads once (and on `reload()`), keeping the error to show. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (live) {
          setData(d);
          setError(null);
        }
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [tick, ...deps]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{state}</span>;
}

export function ManagedBadge({ managed }: { managed: "file" | "api" }) {
  return managed === "file" ? (
    <span class="badge" title="declared in mailhook.yaml; change it there">
      mailhook.yaml
    </span>
  ) : null;
}

function leafText(e: Extract<ConditionExplanation, { kind: "leaf" }>): string {
  const v = e.value === undefined ? "" : ` ${JSON.stringify(e.value)}`;
  return `${e.field} ${e.op}${v}`;
}

/** The explanation tree: each condition green/red with the values it saw. */
export function ExplanationTree({ node }: { node: ConditionExplanation }) {
  const cls = node.result ? "yes" : "no";
  const verdict = node.result ? "true" : "false";
  if (node.kind === "leaf")
    return (
      <li class={cls} aria-label={`${leafText(node)}: ${verdict}`}>
        <code>{leafText(node)}</code>{" "}
        <span class="muted">
          saw {node.seenCount === 0 ? "nothing" : node.seen.map((s) => JSON.stringify(s)).join(", ")}
          {node.seenCount > node.seen.length ? ` (+${node.seenCount - node.seen.length} more)` : ""}
        </span>
      </li>
    );
  const kids = node.kind === "not" ? [node.child] : node.children;
  return (
    <li class={cls} aria-label={`${node.kind}: ${verdict}`}>
      <strong>{node.kind}</strong>
      <ul class="tree">
        {kids.map((k, i) => (
          <ExplanationTree key={i} node={k} />
        ))}
      </ul>
    </li>
  );
}

export const fmtTime = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");
