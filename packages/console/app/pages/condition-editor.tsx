import { type Condition, FIELD_NAMES, type Leaf, OPS, type Problem } from "@mailhook/rules";
import {
  addChild,
  childrenOf,
  kindOf,
  type NodeKind,
  type Path,
  removeAt,
  replaceAt,
  setKind,
  valueFromText,
  valueText,
  whenPath,
} from "../../src/condition-model.js";

const KINDS: NodeKind[] = ["all", "any", "not", "leaf"];
const KIND_LABEL: Record<NodeKind, string> = {
  all: "all of",
  any: "any of",
  not: "not",
  leaf: "condition",
};

interface Props {
  root: Condition;
  onChange: (next: Condition) => void;
  problems: Problem[];
  disabled: boolean;
}

function LeafEditor({ leaf, path, props }: { leaf: Leaf; path: Path; props: Props }) {
  const at = whenPath(path, props.root);
  const mine = props.problems.filter((p) => p.path.replace(/^\[\d+\]/, "").startsWith(at));
  const set = (next: Partial<Leaf>) => props.onChange(replaceAt(props.root, path, { ...leaf, ...next }));
  const id = `c${path.join("-") || "root"}`;
  return (
    <div class="row">
      <label>
        Field
        <input
          list="mailhook-fields"
          value={leaf.field}
          disabled={props.disabled}
          onInput={(e) => set({ field: e.currentTarget.value })}
        />
      </label>
      <label>
        Operator
        <select
          value={leaf.op}
          disabled={props.disabled}
          onChange={(e) => {
            const op = e.currentTarget.value as Leaf["op"];
            set({ op, value: valueFromText(op, valueText(leaf)) });
          }}
        >
          {OPS.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      {leaf.op !== "exists" && (
        <label>
          {leaf.op === "in"
            ? "Values (comma-separated)"
            : leaf.op === "matches"
              ? "Regular expression"
              : "Value"}
          <input
            value={valueText(leaf)}
            disabled={props.disabled}
            aria-invalid={mine.length > 0}
            aria-describedby={mine.length ? `${id}-problems` : undefined}
            onInput={(e) => set({ value: valueFromText(leaf.op, e.currentTarget.value) })}
          />
        </label>
      )}
      {leaf.op === "matches" && (
        <label>
          Flags
          <input
            size={4}
            value={leaf.flags ?? ""}
            disabled={props.disabled}
            onInput={(e) => set({ flags: e.currentTarget.value || undefined })}
          />
        </label>
      )}
      {mine.length > 0 && (
        <ul class="problems" id={`${id}-problems`} aria-live="polite">
          {mine.map((p) => (
            <li key={p.path + p.reason}>{p.reason}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function NodeEditor({ node, path, props }: { node: Condition; path: Path; props: Props }) {
  const kind = kindOf(node);
  const depth = path.length;
  return (
    <fieldset class="node">
      <legend>{`${KIND_LABEL[kind]} (level ${depth + 1})`}</legend>
      <div class="row">
        <label>
          Node
          <select
            value={kind}
            disabled={props.disabled}
            onChange={(e) => props.onChange(setKind(props.root, path, e.currentTarget.value as NodeKind))}
          >
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
        {(kind === "all" || kind === "any") && (
          <>
            <button
              type="button"
              disabled={props.disabled}
              onClick={() => props.onChange(addChild(props.root, path))}
            >
              Add condition
            </button>
            <button
              type="button"
              disabled={props.disabled}
              onClick={() =>
                props.onChange(
                  addChild(props.root, path, { any: [{ field: "subject", op: "contains", value: "" }] }),
                )
              }
            >
              Add group
            </button>
          </>
        )}
        {depth > 0 && (
          <button
            type="button"
            disabled={props.disabled}
            onClick={() => props.onChange(removeAt(props.root, path))}
          >
            Remove
          </button>
        )}
      </div>
      {kind === "leaf" ? (
        <LeafEditor leaf={node as Leaf} path={path} props={props} />
      ) : (
        childrenOf(node).map((c, i) => <NodeEditor key={i} node={c} path={[...path, i]} props={props} />)
      )}
    </fieldset>
  );
}

/** The condition tree editor: all/any/not groups and leaves with the rule language's own fields and ops. */
export function ConditionEditor(props: Props) {
  return (
    <div>
      <datalist id="mailhook-fields">
        {FIELD_NAMES.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      <NodeEditor node={props.root} path={[]} props={props} />
    </div>
  );
}
