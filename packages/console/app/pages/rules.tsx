import type { RuleBodyInput, RuleView } from "@mailhook/api-schema";
import { allPages } from "@mailhook/client";
import { type Condition, type Rule, validateRules } from "@mailhook/rules";
import { useMemo, useState } from "preact/hooks";
import type { DraftAction } from "../../src/action-model.js";
import { newLeaf } from "../../src/condition-model.js";
import { ruleFromYaml, ruleToYaml } from "../../src/rule-yaml.js";
import { lockReason, type Session } from "../session.js";
import { Action, ErrorBox, ManagedBadge, useLoad } from "../ui.js";
import { ActionsEditor } from "./actions-editor.js";
import { ConditionEditor } from "./condition-editor.js";
import { DryRun } from "./dry-run.js";

type Draft = Record<string, unknown> & { when?: Condition };

function RuleEditor(props: {
  session: Session;
  editing: RuleView | null;
  onDone: () => void;
  onDraft: (r: Rule | null) => void;
}) {
  const { session, editing } = props;
  const start: Draft = editing
    ? (({ managed: _m, etag: _e, ...r }) => r as Draft)(editing)
    : { name: "", when: newLeaf(), actions: [{ type: "webhook", endpoint: "" }] };
  const [draft, setDraftRaw] = useState<Draft>(start);
  const [yaml, setYaml] = useState(ruleToYaml(start));
  const [yamlError, setYamlError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const endpoints = useLoad(() => session.client.endpoints.list({ limit: 200 }));
  const lock = lockReason(session, editing?.managed);
  const validation = useMemo(() => validateRules([draft]), [draft]);
  const problems = validation.ok ? [] : validation.problems;
  const setDraft = (d: Draft) => {
    setDraftRaw(d);
    setYaml(ruleToYaml(d));
    setYamlError(null);
    const v = validateRules([d]);
    props.onDraft(v.ok ? (v.rules[0] ?? null) : null);
  };
  const actions = (draft.actions as DraftAction[] | undefined) ?? [];
  return (
    <section class="card" aria-label="Rule editor">
      <h2>{editing ? `Edit rule ${editing.id}` : "New rule"}</h2>
      {lock && <p class="notice">{lock}</p>}
      <div class="grid2">
        <div>
          <div class="row">
            <label>
              Name
              <input
                value={String(draft.name ?? "")}
                disabled={lock !== null}
                onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })}
              />
            </label>
            {!editing && (
              <label>
                Id (optional)
                <input
                  value={String(draft.id ?? "")}
                  onInput={(e) => setDraft({ ...draft, id: e.currentTarget.value || undefined })}
                />
              </label>
            )}
          </div>
          <h3>When</h3>
          <ConditionEditor
            root={draft.when ?? newLeaf()}
            problems={problems}
            disabled={lock !== null}
            onChange={(when) => setDraft({ ...draft, when })}
          />
          <h3>Then</h3>
          <ActionsEditor
            actions={actions}
            endpoints={endpoints.data?.data ?? []}
            disabled={lock !== null}
            onChange={(next) => setDraft({ ...draft, actions: next })}
          />
          {problems.length > 0 && (
            <ul class="problems" aria-label="Problems">
              {problems.map((p) => (
                <li key={p.path + p.reason}>
                  <code>rules{p.path}</code>: {p.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <label style="display:flex">
            YAML (as in mailhook.yaml's rules:)
            <textarea
              rows={18}
              value={yaml}
              disabled={lock !== null}
              onInput={(e) => {
                const text = e.currentTarget.value;
                setYaml(text);
                const r = ruleFromYaml(text);
                if (!r.ok) setYamlError(r.error);
                else {
                  setYamlError(null);
                  setDraftRaw(r.rule as Draft);
                }
              }}
            />
          </label>
          {yamlError && <p class="bad">{yamlError}</p>}
        </div>
      </div>
      <ErrorBox error={error} />
      <div class="row">
        <Action
          primary
          reason={lock ?? (problems.length ? "fix the problems first" : null)}
          onClick={async () => {
            try {
              if (editing)
                await session.client.rules.replace(editing.id, draft as RuleBodyInput, editing.etag);
              else await session.client.rules.create(draft as RuleBodyInput);
              props.onDone();
            } catch (e) {
              setError(e);
            }
          }}
        >
          Save rule
        </Action>
        <button type="button" onClick={props.onDone}>
          Close
        </button>
      </div>
    </section>
  );
}

export function RulesPage({ session }: { session: Session }) {
  const load = async () => {
    const out: RuleView[] = [];
    for await (const r of allPages((p) => session.client.rules.list(p))) out.push(r);
    return out;
  };
  const { data, error, reload } = useLoad(load);
  const [editing, setEditing] = useState<RuleView | "new" | null>(null);
  const [draftRule, setDraftRule] = useState<Rule | null>(null);
  const [dragged, setDragged] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const rules = data ?? [];
  const movable = rules.filter((r) => r.managed === "api");
  const reorder = async (id: string, to: number) => {
    const ids = movable.map((r) => r.id).filter((x) => x !== id);
    ids.splice(Math.max(0, Math.min(ids.length, to)), 0, id);
    try {
      await session.client.rules.reorder(ids);
      setActionError(null);
    } catch (e) {
      setActionError(e);
    }
    reload();
  };
  return (
    <>
      <section class="card">
        <h2>Rules, in the order they run</h2>
        <p class="muted">Drag a row to reorder, or use Move up / Move down.</p>
        <ErrorBox error={error ?? actionError} />
        <table aria-label="Rules">
          <thead>
            <tr>
              <th>priority</th>
              <th>rule</th>
              <th>state</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => {
              const lock = lockReason(session, r.managed);
              const pos = movable.findIndex((m) => m.id === r.id);
              return (
                <tr
                  key={r.id}
                  draggable={lock === null}
                  onDragStart={() => setDragged(r.id)}
                  onDragOver={(e) => e.preventDefault()}
                  onDrop={(e) => {
                    e.preventDefault();
                    if (dragged && dragged !== r.id && pos >= 0) void reorder(dragged, pos);
                    setDragged(null);
                  }}
                >
                  <td>{r.priority}</td>
                  <td>
                    <strong>{r.name}</strong> <code>{r.id}</code> <ManagedBadge managed={r.managed} />
                  </td>
                  <td>{r.enabled ? <span class="ok">enabled</span> : <span class="bad">disabled</span>}</td>
                  <td class="row">
                    <Action
                      label={`Move up ${r.id}`}
                      reason={lock ?? (pos <= 0 ? "already first" : null)}
                      onClick={() => reorder(r.id, pos - 1)}
                    >
                      Move up
                    </Action>
                    <Action
                      label={`Move down ${r.id}`}
                      reason={lock ?? (pos < 0 || pos >= movable.length - 1 ? "already last" : null)}
                      onClick={() => reorder(r.id, pos + 1)}
                    >
                      Move down
                    </Action>
                    <Action
                      label={`${r.enabled ? "Disable" : "Enable"} ${r.id}`}
                      reason={lock}
                      onClick={async () => {
                        try {
                          await (r.enabled
                            ? session.client.rules.disable(r.id, r.etag)
                            : session.client.rules.enable(r.id, r.etag));
                        } catch (e) {
                          setActionError(e);
                        }
                        reload();
                      }}
                    >
                      {r.enabled ? "Disable" : "Enable"}
                    </Action>
                    <button
                      type="button"
                      aria-label={`${lock ? "View" : "Edit"} ${r.id}`}
                      onClick={() => setEditing(r)}
                    >
                      {lock ? "View" : "Edit"}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {data && rules.length === 0 && <p class="muted">No rules yet.</p>}
        <div class="row">
          <Action primary reason={session.readOnlyReason} onClick={() => setEditing("new")}>
            New rule
          </Action>
        </div>
      </section>
      {editing && (
        <RuleEditor
          key={editing === "new" ? "new" : editing.id}
          session={session}
          editing={editing === "new" ? null : editing}
          onDraft={setDraftRule}
          onDone={() => {
            setEditing(null);
            setDraftRule(null);
            reload();
          }}
        />
      )}
      <DryRun session={session} rules={editing && draftRule ? [draftRule] : null} />
    </>
  );
}
